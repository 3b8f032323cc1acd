"""Checks of producer.counters: events_sent and bytes_sent count what really landed."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    RESULT_SHAPE,
    require_int,
)
from grader.harness.feedback import Feedback, show
from grader.harness.producer_checks.matching import which_event
from grader.harness.script import Ref, Script
from grader.kinesis.stream_view import Record, StreamView


def counter_values(outcome: Any, ref: Ref, called: str) -> tuple[int, int]:
    values = outcome[ref]
    return require_int(values["events_sent"], called, "events_sent"), require_int(
        values["bytes_sent"], called, "bytes_sent"
    )


def _require_counts(called: str, got: tuple[int, int], events: list[Any], stored: list[Record]) -> None:
    """Counters against what the test sent (every send went to a healthy stream): the number of
    events, and the bytes of the record that carries each one."""
    events_sent, bytes_sent = got
    if events_sent != len(events):
        raise Feedback(
            called,
            f"left events_sent at {events_sent}",
            f"{len(events)}, the number of events the test sent to a healthy stream",
            "the counter is how you know how much your producer really wrote",
        )
    sizes = {which_event(r, events): r.data for r in stored}
    if any(position not in sizes for position in range(len(events))):
        landed = sum(1 for position in range(len(events)) if position in sizes)
        raise Feedback(
            called,
            f"left {landed} of the {len(events)} event(s) in the stream",
            "every event sent, so that there is something to count",
            "every send to a healthy stream succeeds, and each one is counted",
        )
    wanted = sum(len(sizes[position]) for position in range(len(events)))
    if bytes_sent != wanted:
        chars = sum(len(sizes[position].decode("utf-8", "replace")) for position in range(len(events)))
        hint = " (that is the number of characters, not bytes)" if bytes_sent == chars else ""
        raise Feedback(
            called,
            f"left bytes_sent at {bytes_sent}{hint}",
            f"{wanted}, the UTF-8 bytes of the data sent",
            "Kinesis limits and bills by bytes, and non-ASCII characters such as 'ë' take more than one byte",
        )


def check_counters(
    learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]], failing: int = 0
) -> None:
    """Counters clauses 1-3: counters start at 0, count each successful send_event in UTF-8 bytes, and
    not a failed one. The failing producer comes first, alone, so that counters kept in class
    attributes or globals (the concurrency task) are not what this check sees."""
    name = streams.create(shard_count)
    script = Script()
    ghost_counters = None
    if failing:
        ghost = script.new(PRODUCER_CLASS, name + "-missing", name="other_producer")
        for key, event in keyed_events[:failing]:
            script.call(ghost, "send_event", event, key, expect="{'success': False, 'error': ...}")
        ghost_counters = script.attrs(ghost, "events_sent", "bytes_sent")
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    start = script.attrs(producer, "events_sent", "bytes_sent")
    for key, event in keyed_events:
        script.call(producer, "send_event", event, key, expect=RESULT_SHAPE)
    counters = script.attrs(producer, "events_sent", "bytes_sent")
    outcome = learner.run(script)
    fresh = f"EventProducer({name!r}) before any send"
    for counter, value in zip(("events_sent", "bytes_sent"), counter_values(outcome, start, fresh)):
        if value != 0:
            raise Feedback(fresh, f"had {counter} = {value}", f"{counter} == 0", "a new producer has sent nothing yet")
    if ghost_counters is not None:
        ghost_called = f"other_producer.send_event(...) {failing} time(s) on a stream that does not exist"
        for counter, value in zip(("events_sent", "bytes_sent"), counter_values(outcome, ghost_counters, ghost_called)):
            if value != 0:
                raise Feedback(
                    ghost_called,
                    f"left {counter} at {value}",
                    f"{counter} == 0",
                    "a failed send did not send anything; count only after put_record succeeded",
                )
    first = f"producer.send_event({show(keyed_events[0][1])}, {keyed_events[0][0]!r})"
    called = (
        first
        if len(keyed_events) == 1
        else f"producer.send_event(...) {len(keyed_events)} times, the first being {first}"
    )
    _require_counts(
        called, counter_values(outcome, counters, called), [e for _, e in keyed_events], streams.all_records(name)
    )


def check_counters_add_up(
    learner: Any,
    streams: StreamView,
    shard_count: int,
    keyed_events: list[tuple[str, Any]],
    batches: list[list[dict[str, Any]]],
) -> None:
    """Counters clause 4: the counters of one producer are totals over several send_event and send_batch calls."""
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    steps: list[tuple[str, int, Ref]] = []
    sent = 0
    for key, event in keyed_events:
        script.call(producer, "send_event", event, key, expect=RESULT_SHAPE)
        sent += 1
    if keyed_events:
        steps.append(
            (
                f"producer.send_event(...) {len(keyed_events)} time(s)",
                sent,
                script.attrs(producer, "events_sent", "bytes_sent"),
            )
        )
    for number, batch in enumerate(batches, 1):
        script.send_batch(producer, batch, expect="one result per event")
        sent += len(batch)
        steps.append(
            (
                f"then send_batch call number {number} ({len(batch)} event(s))",
                sent,
                script.attrs(producer, "events_sent", "bytes_sent"),
            )
        )
    outcome = learner.run(script)
    stored = streams.all_records(name)
    events = [event for _, event in keyed_events] + [event for batch in batches for event in batch]
    for label, total, ref in steps:
        called = f"one producer: {label}, the counters read after it"
        got = counter_values(outcome, ref, called)
        if got[0] != total and total > len(keyed_events) and got[0] < total:
            raise Feedback(
                called,
                f"left events_sent at {got[0]} (as if a call started again from 0)",
                f"{total}, every event this producer sent so far",
                "counters are totals over the producer's life, not over its last call",
            )
        _require_counts(called, got, events[:total], stored)
