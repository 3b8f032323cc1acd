"""Checks of consumer.all_shards: list_shard_ids and consume_stream cover every shard,
closed parents included."""

from __future__ import annotations

from collections import Counter
from typing import Any

from grader.harness.checking import CONSUMER_CLASS, require_type, run_with
from grader.harness.consumer_checks.conditions import (
    DRY_CLOSE,
    SHARD0,
    ClosedShards,
    require_returned,
)
from grader.harness.feedback import Feedback, show
from grader.harness.script import CONSUMER, Script, noted_field_equals
from grader.kinesis.faults import Shape
from grader.kinesis.stream_view import StreamView, event_identity


def require_every_shard(shard_ids: Any, streams: StreamView, name: str, called: str, why: str) -> list[str]:
    """Fail unless ``shard_ids`` is a list naming every shard of the stream once; returns the ids."""
    require_type(shard_ids, list, called, "the returned value")
    wanted = [shard_id for shard_id, _, _ in streams.shard_ranges(name)]
    if sorted(s for s in shard_ids if type(s) is str) != sorted(wanted) or len(shard_ids) != len(wanted):
        shown = show(shard_ids) if len(shard_ids) <= 12 else f"{len(shard_ids)} shard id(s)"
        raise Feedback(called, f"returned {shown}", f"all {len(wanted)} shard ids, each once: {show(wanted)}", why)
    return wanted


def check_listed_in_pages(learner: Any, streams: StreamView, shard_count: int, per_page: int) -> None:
    """list_shard_ids follows every page of the listing: here Kinesis lists at most ``per_page``
    shards a page (as it may: a page can hold fewer shards than MaxResults), with a NextToken
    while more remain, and refuses a NextToken sent with the StreamName, as AWS does."""
    name = streams.create(shard_count)
    script = Script()
    ids = script.function(f"{CONSUMER}.list_shard_ids", name, expect="every shard id of the stream, page after page")
    pages = Shape(shards_per_page=per_page)
    outcome = run_with(learner, script, pages)
    require_every_shard(
        outcome[ids],
        streams,
        name,
        f"{ids.label} on a stream of {shard_count} shards while {pages.describe()}",
        "Kinesis answers in pages, however short: while a page has a NextToken, ask again with that NextToken "
        "alone (a NextToken names the stream: sending the StreamName with it is refused), until a page has none",
    )


def check_all_shards(
    learner: Any,
    streams: StreamView,
    shard_count: int,
    keyed_events: list[tuple[str, Any]],
    max_events: int | None = None,
    wanted_type: str | None = None,
    reshard: bool = False,
) -> None:
    """list_shard_ids names every shard (closed ones too); consume_stream reads each, in order
    per key, within max_events over all shards, passes the filter on, and returns what the
    shards' consumers returned.

    Reading is judged on the events the consumers inside consume_stream pass to
    process_event, and the result against what their consume calls returned, so a mistake
    in consume's filtering or result costs consumer.filtering, not this task.
    """
    name = streams.create(shard_count)
    closed: dict[str, int] = {}
    if reshard:
        half = len(keyed_events) // 2
        stored = streams.put(name, keyed_events[:half])
        closed[SHARD0] = max((r.sequence for r in stored if r.shard_id == SHARD0), default=0)
        streams.split_keeping_records(name, SHARD0)
        stored += streams.put_on_open_shards(name, keyed_events[half:])
    else:
        stored = streams.put(name, keyed_events)
    script = Script()
    ids = script.function(f"{CONSUMER}.list_shard_ids", name, expect="every shard id of the stream")
    kwargs: dict[str, Any] = {}
    if max_events is not None:
        kwargs["max_events"] = max_events
    if wanted_type is not None:
        kwargs["event_filter"] = noted_field_equals("type", wanted_type)
    read = script.function(
        f"{CONSUMER}.consume_stream",
        name,
        expect="every event of every shard",
        dry=DRY_CLOSE,
        note_class=CONSUMER_CLASS,
        **kwargs,
    )
    inside = script.class_noted()
    asked = script.noted()
    outcome = run_with(learner, script, ClosedShards(closed) if closed else None)
    resharded = f" (after resharding: {SHARD0} is closed and keeps its records)" if reshard else ""
    wanted_ids = require_every_shard(
        outcome[ids],
        streams,
        name,
        ids.label + resharded,
        "each user's events live on one shard only; a reader that skips a shard misses those users"
        + ("; a closed parent shard still holds the older events" if reshard else ""),
    )
    result = outcome[read]
    called = read.label + resharded
    require_returned(result, called, "consume_stream reads each shard until it is caught up")
    require_type(result, list, called, "the returned value", "consume_stream returns the events its consumers matched")
    given, returned = outcome[inside]
    # Its own consumers' process_event calls, if it used EventConsumer; else, with a filter,
    # the events the filter was offered (each read event once: a reader of its own making may
    # ask the filter in its own way); else what it returned.
    if given:
        events = given
    elif wanted_type is not None:
        events = list({event_identity(e): e for e in outcome[asked]}.values())
    else:
        events = result
    if wanted_type is not None and max_events is None:
        asked_about = Counter(event_identity(e) for e in outcome[asked])
        if Counter(event_identity(r.event()) for r in stored) - asked_about:
            raise Feedback(
                called,
                f"asked the filter about {sum(asked_about.values())} of the {len(stored)} events",
                "every event of every shard to be offered to the filter",
                "consume_stream passes event_filter on to the EventConsumer of each shard",
            )
    got = Counter(event_identity(e) for e in events)
    want = Counter(event_identity(r.event()) for r in stored)
    if max_events is None:
        if got != want:
            missing_users = sorted({r.key for r in stored if event_identity(r.event()) in (want - got)})
            raise Feedback(
                called,
                f"read {sum(got.values())} of the {len(stored)} events"
                + (f"; none of {show(missing_users)}" if missing_users else ""),
                f"all {len(stored)} events from the {len(wanted_ids)} shard(s), each once",
                "reading only shards[0] misses every key that hashes to another shard",
            )
    else:
        wanted_count = min(max_events, len(stored))
        # With a filter, only the events its consumers were given show what was read.
        counted = len(events) if given or wanted_type is None else min(len(events), wanted_count)
        if counted != wanted_count or got - want:
            raise Feedback(
                called,
                f"read {len(events)} record(s)",
                f"exactly {wanted_count}: max_events counts the records read over all shards"
                + (", matched by the filter or not" if wanted_type is not None else ""),
                "max_events is a promise to the caller, whatever the number of shards",
            )
    for key in {r.key for r in stored}:
        mine = [event_identity(r.event()) for r in stored if r.key == key]
        order = [event_identity(e) for e in events if isinstance(e, dict) and event_identity(e) in set(mine)]
        if order != mine[: len(order)]:
            raise Feedback(
                called,
                f"read the events of key {key!r} out of order",
                "each key's events in the order they were written",
                "a key lives on one shard (a closed parent first, then its children), and a shard is read oldest first",
            )
    if given and all(isinstance(r, list) for r in returned):
        joined = [e for r in returned for e in r]
        if result != joined:
            raise Feedback(
                called,
                f"returned {len(result)} event(s): {show(result)}",
                f"the {len(joined)} event(s) its shards' consume calls returned, shard after shard: {show(joined)}",
                "consume_stream hands on what every shard's consumer matched, not only the last one's",
            )
