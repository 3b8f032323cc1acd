"""Checks of producer.concurrency: several producers at once, in separate processes or in one,
each sending all its events and counting only its own."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    RESULT_SHAPE,
    require_int,
    sent_bytes,
)
from grader.harness.feedback import Feedback
from grader.harness.producer_checks.counters import counter_values
from grader.harness.producer_checks.ordering import verify_landed
from grader.harness.script import Ref, Script
from grader.kinesis.stream_view import StreamView


def check_concurrent_producers(
    learner: Any, streams: StreamView, shard_count: int, batches: list[list[dict[str, Any]]]
) -> None:
    """Several producers in separate processes at once: every event of every producer lands,
    each counts its own. Only what landed is compared (keys and order are the ordering task's)."""
    name = streams.create(shard_count)
    scripts, refs = [], []
    for batch in batches:
        script = Script()
        producer = script.new(PRODUCER_CLASS, name, name="producer")
        start = script.attrs(producer, "events_sent")
        script.send_batch(producer, batch)
        refs.append((start, script.attrs(producer, "events_sent")))
        scripts.append(script)
    outcomes = learner.run_together(scripts)
    called = f"{len(batches)} producers, each calling send_batch at the same time"
    verify_landed(streams, name, called, [(e["userId"], e) for batch in batches for e in batch], routing=False)
    for batch, outcome, (start, end) in zip(batches, outcomes, refs):
        counted = require_int(outcome[end]["events_sent"], called, "events_sent") - require_int(
            outcome[start]["events_sent"], called, "events_sent"
        )
        if counted != len(batch):
            raise Feedback(
                called,
                f"gave one producer's events_sent a rise of {counted}",
                f"{len(batch)}, the events that producer sent",
                "each producer counts only its own events",
            )


def _producer_calls(script: Script, producer: Ref, events: list[dict[str, Any]]) -> None:
    script.call(producer, "send_event", events[0], events[0]["userId"], expect=RESULT_SHAPE)
    script.send_batch(producer, events[1:])


def check_producers_in_one_process(
    learner: Any, streams: StreamView, shard_count: int, first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    """Two producers on two streams in one program, their calls interleaved: each keeps its own
    stream and counters (instance attributes, not class attributes or module globals).

    Each producer's counters are compared with what the same calls give a producer alone in
    its program, so how the counters count (the counters task) does not matter here, only
    whether the other producer changes them.
    """
    names = [streams.create(shard_count) for _ in range(4)]
    together = Script()
    producers = [together.new(PRODUCER_CLASS, name, name=f"producer_{label}") for name, label in zip(names, "ab")]
    together.call(producers[0], "send_event", first[0], first[0]["userId"], expect=RESULT_SHAPE)
    together.call(producers[1], "send_event", second[0], second[0]["userId"], expect=RESULT_SHAPE)
    together.send_batch(producers[0], first[1:])
    together.send_batch(producers[1], second[1:])
    ends = [together.attrs(p, "events_sent", "bytes_sent") for p in producers]
    scripts, alone = [together], []
    for name, events in zip(names[2:], (first, second)):
        script = Script()
        producer = script.new(PRODUCER_CLASS, name, name="producer")
        _producer_calls(script, producer, events)
        alone.append(script.attrs(producer, "events_sent", "bytes_sent"))
        scripts.append(script)
    outcomes = learner.run_together(scripts)
    called = (
        f"producer_a = EventProducer({names[0]!r}), producer_b = EventProducer({names[1]!r}) in one program, "
        "each sending in turn with send_event, then send_batch"
    )
    for name, events in zip(names, (first, second)):
        verify_landed(streams, name, called + f" (stream {name})", [(e["userId"], e) for e in events], routing=False)
    for label, end, lone, outcome, name, lone_name in zip("ab", ends, alone, outcomes[1:], names[:2], names[2:]):
        shared = counter_values(outcomes[0], end, called)
        own = counter_values(outcome, lone, "the same calls on a producer alone in its program")
        # Data may differ a little between the runs (e.g. a timestamp in it): bytes are compared
        # net of what the two streams really received.
        landed = sent_bytes(streams.all_records(name)) - sent_bytes(streams.all_records(lone_name))
        if shared[0] != own[0] or shared[1] - own[1] != landed:
            raise Feedback(
                called,
                f"left producer_{label} with (events_sent, bytes_sent) = {shared}",
                f"{own}, what the same calls give a producer alone in its program",
                "counters kept in class attributes or module globals are shared by every producer of the program",
            )
