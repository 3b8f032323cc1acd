"""Checks of producer.stream_setup: ensure_stream_exists creates the stream, or leaves an
existing one as it is, and returns once the stream is ACTIVE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    run_with,
    under,
)
from grader.harness.feedback import Feedback, show
from grader.harness.script import Ref, Script
from grader.kinesis import limits
from grader.kinesis.faults import Plan, Shape, SlowCreation
from grader.kinesis.limits import stream_of
from grader.kinesis.rules import STATUS_OPERATIONS
from grader.kinesis.server import Fault
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
    script, ref, _ = _one_call(
        name, shard_count + 1, "it to wait until the existing stream is ACTIVE, without an error"
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


def _one_call(name: str, shard_count: int, expect: str) -> tuple[Script, Ref, Ref]:
    """A script of one ensure_stream_exists(shard_count=...) call; its refs: the call, the clock after it."""
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    ref = script.call(producer, "ensure_stream_exists", shard_count=shard_count, expect=expect)
    return script, ref, script.clock()


def _still_creating(learner: Any, name: str, when: float) -> bool:
    """Whether the stream was still CREATING at simulated time ``when`` of the run that just ended."""
    status = learner.kinesis.rules.status.get(name)
    return status is not None and status[0] == "CREATING" and when < status[1]


def check_stream_setup_slow(learner: Any, streams: StreamView, seconds: float) -> None:
    """Clause 3 "for as long as it takes": the new stream stays CREATING for ``seconds``
    simulated seconds (far more than a few polls); the method returns only after that."""
    name = streams.new_name()
    script, ref, returned = _one_call(name, 1, "it to wait until the stream is ACTIVE")
    slow = Shape(creating_seconds=seconds)
    outcome = run_with(learner, script, slow, seconds_budget=seconds + 60)
    called = under(ref.label, slow)
    if not streams.exists(name):
        raise Feedback(called, "returned, but there is no stream of that name", f"a stream named {name!r}")
    if _still_creating(learner, name, outcome[returned]):
        raise Feedback(
            called,
            f"returned {outcome[returned]:.1f} simulated seconds after the call, while the stream was still CREATING",
            f"the method to keep checking, pausing between checks, until the stream is ACTIVE ({seconds:g} s here)",
            "AWS gives no bound on how long CREATING lasts: a fixed number of checks gives up on a stream that is "
            "merely slow",
        )


@dataclass
class RivalCreates(Plan):
    """Another producer creates the stream right after this one found it missing (a race).

    The first DescribeStream, DescribeStreamSummary or ListStreams that finds the stream missing
    is answered as it is (not found, or a list without it); just after, the rival's CreateStream
    lands: the stream exists with ``shards`` shards, CREATING for a few simulated seconds, and
    this producer's own create_stream gets ResourceInUseException.
    """

    name: str
    shards: int
    kinesis: Any
    created: bool = False

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Answer a describe of the missing stream with not found, then create it."""
        if self.created or operation not in STATUS_OPERATIONS or stream_of(request) != self.name:
            return None
        if self.name in self.kinesis.backend().streams:
            return None
        self._create()
        return Fault(400, "ResourceNotFoundException", limits.not_found(self.name).message)

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """After a list of streams without it, create it."""
        if not self.created and operation == "ListStreams" and self.name not in self.kinesis.backend().streams:
            self._create()
        return response

    def _create(self) -> None:
        self.kinesis.backend().create_stream(self.name, self.shards)
        rules = self.kinesis.rules
        rules.status[self.name] = ("CREATING", rules.now + limits.CREATING_SECONDS)
        self.created = True

    def describe(self) -> str:
        """What the learner's code met."""
        return "another producer created the stream just after this one found it missing"


def check_stream_setup_race(learner: Any, streams: StreamView, shard_count: int) -> None:
    """Clauses 2-4 when two producers create one stream at once: the other producer's
    create_stream lands between this one's check and its own create_stream. The method raises
    nothing, returns False once the stream is ACTIVE, and leaves the other's stream as it is."""
    name = streams.new_name()
    rival = RivalCreates(name, shard_count, learner.kinesis)
    script, ref, returned = _one_call(
        name, shard_count + 1, "it to return without an error: a stream another producer just created is no error"
    )
    outcome = run_with(learner, script, rival)
    called = under(ref.label, rival) if rival.created else ref.label
    if _still_creating(learner, name, outcome[returned]):
        raise Feedback(
            called,
            "returned while the stream was still CREATING",
            "the method to wait until the stream is ACTIVE",
            "a stream another producer has just created refuses writes until it is ACTIVE",
        )
    shards = len(streams.describe(name)["Shards"])
    if rival.created and shards != shard_count:
        raise Feedback(
            called, f"left the stream with {shards} shard(s)", f"{shard_count} shard(s), as the other producer made it"
        )
    if rival.created:
        _require_created_flag(outcome[ref], called, False)
