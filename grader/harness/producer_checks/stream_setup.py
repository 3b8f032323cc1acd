"""Checks of producer.stream_setup: ensure_stream_exists creates the stream, or leaves an
existing one as it is, and returns once the stream is ACTIVE."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    run_with,
    under,
)
from grader.harness.feedback import Feedback, show
from grader.harness.script import Script
from grader.kinesis.faults import SlowCreation
from grader.kinesis.stream_view import StreamView

DEFAULT_SHARD_COUNT = 2


def _require_created_flag(value: Any, called: str, created: bool) -> None:
    """ensure_stream_exists returns True when it created the stream, False when it existed."""
    wanted = "True (this call created the stream)" if created else "False (the stream existed already)"
    if type(value) is not bool or value is not created:
        raise Feedback(
            called,
            f"returned {show(value)}",
            wanted,
            "the caller learns from it whether it made the stream; say so with a real bool",
        )


def check_stream_setup(
    learner: Any,
    streams: StreamView,
    shard_count: int | None,
    calls: int = 2,
    creating: SlowCreation | None = None,
    flags: bool = False,
) -> None:
    """Clauses 1-3: a new stream gets ``shard_count`` shards (2 when ``None``: the argument left
    out) and is ACTIVE when the method returns; later calls change nothing. With ``flags``,
    clause 4 too: the first call returns True, later ones False.

    With ``creating``, the new stream stays CREATING for a while and the method must wait it out.
    """
    name = streams.new_name()
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    refs = []
    for attempt in range(calls):
        if shard_count is None and attempt == 0:
            kwargs: dict[str, Any] = {}
        else:
            kwargs = {"shard_count": (shard_count or DEFAULT_SHARD_COUNT) + (attempt > 0)}
        refs.append(
            script.call(
                producer,
                "ensure_stream_exists",
                **kwargs,
                expect="it to create the stream, or leave an existing one as it is, without an error",
            )
        )
    outcome = run_with(learner, script, creating)
    wanted_shards = DEFAULT_SHARD_COUNT if shard_count is None else shard_count
    argument = "" if shard_count is None else f"shard_count={shard_count}"
    called = under(
        f"EventProducer({name!r}).ensure_stream_exists({argument})"
        + (f" then {calls - 1} more time(s)" if calls > 1 else ""),
        creating,
    )
    if creating is not None and name in creating.waiting and name not in creating.active_seen:
        seen = creating.described_creating(name)
        raise Feedback(
            called,
            f"returned while the stream was still CREATING (after {seen} call(s) about it, each answered CREATING or "
            "not found)",
            "the method to keep checking describe_stream (pausing between checks) until StreamStatus is ACTIVE, then "
            "return",
            "a new stream refuses writes until it is ACTIVE: a put_record right after an early return fails with "
            "ResourceNotFoundException",
        )
    if not streams.exists(name):
        raise Feedback(
            called,
            "returned, but there is no stream of that name",
            f"a stream named {name!r}",
            "producers cannot write to a stream that was never created",
        )
    description = streams.describe(name)
    if description["StreamStatus"] != "ACTIVE":
        raise Feedback(
            called,
            f"returned while the stream was {description['StreamStatus']}",
            "the method to wait until ACTIVE",
            "a stream refuses writes until it is ACTIVE",
        )
    if len(description["Shards"]) != wanted_shards:
        why = (
            "the first call sets the shard count; later calls must not change an existing stream"
            if shard_count is not None
            else "called without shard_count, a new stream gets the default of 2 shards"
        )
        raise Feedback(
            called, f"left the stream with {len(description['Shards'])} shard(s)", f"{wanted_shards} shard(s)", why
        )
    for number, ref in enumerate(refs if flags else []):
        _require_created_flag(
            outcome[ref], ref.label + ("" if number == 0 else f" (call number {number + 1})"), number == 0
        )


def check_stream_setup_existing(
    learner: Any, streams: StreamView, shard_count: int, creating_calls: int, flags: bool = False
) -> None:
    """Clauses 2-3 for a stream another producer has just created: it is still CREATING, so the
    method gets ResourceInUseException and must wait until ACTIVE anyway (with ``flags``,
    clause 4 too: and return False)."""
    name = streams.create(shard_count)
    plan = SlowCreation(creating_calls)
    plan.waiting[name] = 0  # as if its CreateStream had just been answered
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    ref = script.call(
        producer,
        "ensure_stream_exists",
        shard_count=shard_count + 1,
        expect="it to wait until the existing stream is ACTIVE, without an error",
    )
    outcome = run_with(learner, script, plan)
    called = (
        f"EventProducer({name!r}).ensure_stream_exists(shard_count={shard_count + 1}) while another producer's new "
        "stream was still CREATING"
    )
    if name not in plan.active_seen:
        seen = plan.described_creating(name)
        raise Feedback(
            called,
            f"returned while the stream was still CREATING (after {seen} call(s) about it)",
            "the method to wait until StreamStatus is ACTIVE even when create_stream said the stream exists",
            "a stream another producer has just created refuses writes until it is ACTIVE, exactly like one you "
            "created",
        )
    shards = len(streams.describe(name)["Shards"])
    if shards != shard_count:
        raise Feedback(
            called,
            f"left the stream with {shards} shard(s)",
            f"{shard_count} shard(s), as it was",
            "an existing stream is left as it is, whatever shard_count says",
        )
    if flags:
        _require_created_flag(outcome[ref], called, False)
