"""Checks of consumer.read_shard: one consumer reads its own shard, every record once, in
order, counting records and bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.harness.checking import require_int, require_type, run_with, sent_bytes, under
from grader.harness.consumer_checks.conditions import (
    DRY_CLOSE,
    SHARD0,
    iterator_position,
    new_consumer,
)
from grader.harness.feedback import Feedback, show
from grader.harness.script import Ref, Script
from grader.kinesis.faults import Plan, error_message
from grader.kinesis.server import Fault
from grader.kinesis.stream_view import Record, StreamView


def _events(records: list[Record]) -> list[Any]:
    return [r.event() for r in records]


def check_read_shard(
    learner: Any,
    streams: StreamView,
    shard_count: int,
    keyed_events: list[tuple[str, Any]],
    faults: Plan | None = None,
    again: bool = False,
) -> None:
    """get_shard_iterator points at the consumer's own shard; consume hands every record of
    the shard to process_event in order, each once, counting records and bytes exactly.

    With ``again``, consume is called twice on the same consumer: each call starts at the
    oldest record and the counters add up. With ``faults``, Kinesis fails some GetRecords
    calls and consume must retry them without skipping or repeating a record.
    """
    name = streams.create(shard_count)
    streams.put(name, keyed_events)
    calls = 2 if again else 1
    expect = "every record of the shard passed to process_event, in order" + (", once per call" if again else "")
    if faults is not None:
        expect += (
            ", each once: retry a failed get_records with the same shard iterator (pausing a little longer each time)"
        )
    # One consumer per shard, all in one run: a run costs more than the calls in it.
    script = Script()
    reads = []
    for shard_id, stored in streams.records(name).items():
        consumer = new_consumer(script, name, shard_id)
        iterator = script.call(
            consumer, "get_shard_iterator", expect="a TRIM_HORIZON iterator of this consumer's shard"
        )
        latest = script.call(
            consumer, "get_shard_iterator", "LATEST", expect="a LATEST iterator of this consumer's shard"
        )
        read = [script.call(consumer, "consume", expect=expect, dry=DRY_CLOSE) for _ in range(calls)]
        seen = script.observed(consumer)
        counters = script.attrs(consumer, "events_processed", "bytes_processed")
        reads.append((shard_id, stored, iterator, latest, read[-1], seen, counters))
    outcome = run_with(learner, script, faults)
    for number, (shard_id, stored, iterator, latest, read, seen, counters) in enumerate(reads):
        _check_iterators(outcome, name, shard_id, stored, iterator, latest)
        called = under(read.label + (" twice" if again else ""), faults) + f" on {shard_id}"
        wanted = _events(stored) * calls
        got = outcome[seen]
        if got != wanted:
            why = "a consumer must see every record of its shard, oldest first"
            if again:
                why += "; every call of consume starts again at the oldest record (TRIM_HORIZON)"
            if faults is not None:
                why += "; a failed read returned nothing, so the same iterator still points at the next unread record"
            raise Feedback(
                called,
                f"passed {len(got)} event(s) to process_event: {show(got)}",
                f"the {len(wanted)} event(s) of {shard_id}, in order"
                + (", twice" if again else "")
                + f": {show(wanted)}",
                why,
            )
        if number:
            continue  # a later consumer's counters may share state with the first: consumer.independence
        processed = require_int(outcome[counters]["events_processed"], called, "events_processed")
        size = require_int(outcome[counters]["bytes_processed"], called, "bytes_processed")
        if processed != len(wanted):
            raise Feedback(
                called,
                f"left events_processed at {processed}",
                f"{len(wanted)}, the records read" + (" (the counters add up over both calls)" if again else ""),
            )
        if size != sent_bytes(stored) * calls:
            raise Feedback(
                called,
                f"left bytes_processed at {size}",
                f"{sent_bytes(stored) * calls}, the bytes of the records' Data",
                "record['Data'] is already bytes: its len() is the byte count; decoding first counts characters",
            )


def _check_iterators(outcome: Any, name: str, shard_id: str, stored: list[Record], iterator: Ref, latest: Ref) -> None:
    for ref, kind, sequence in (
        (iterator, "TRIM_HORIZON", 0),
        (latest, "LATEST", stored[-1].sequence if stored else 0),
    ):
        value = outcome[ref]
        require_type(value, str, ref.label, "the returned iterator")
        position = iterator_position(value)
        if position is None or position[:2] != (name, shard_id):
            where = (
                f"an iterator of {position[1]} of {position[0]}"
                if position
                else "something that is not a shard iterator"
            )
            raise Feedback(
                f"{ref.label} on a consumer of {name}/{shard_id}",
                f"returned {where}",
                f"an iterator of {shard_id}, the consumer's own shard",
                "pass the consumer's own StreamName and ShardId",
            )
        if position[2] != sequence:
            raise Feedback(
                f"{ref.label} on {shard_id}",
                "returned an iterator of another type",
                f"a {kind} iterator: "
                + ("the oldest record first" if kind == "TRIM_HORIZON" else "only records written after it"),
                "pass iterator_type on as ShardIteratorType",
            )


# A code of RETRYABLE_ERROR_CODES that botocore does not retry by itself (HTTP 400, not a
# throttling code it knows), so every failure reaches the learner's code and its pauses show.
UNRETRIED_CODE = "KMSThrottlingException"


@dataclass
class FirstReadsFail(Plan):
    """The first ``failures`` GetRecords calls fail with a code the consumer retries; the
    simulated time of every GetRecords call is noted (the pause after each failure shows)."""

    failures: int
    kinesis: Any
    times: list[float] = field(default_factory=list)

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Note the call's time; fail it while the failures last."""
        if operation != "GetRecords":
            return None
        self.times.append(self.kinesis.rules.now)
        if len(self.times) <= self.failures:
            return Fault(400, UNRETRIED_CODE, error_message(UNRETRIED_CODE))
        return None

    def pauses(self) -> list[float]:
        """The time from each failed read to the next read."""
        return [later - earlier for earlier, later in zip(self.times, self.times[1:])][: self.failures]

    def describe(self) -> str:
        """What the learner's code met."""
        return f"Kinesis failed the first {self.failures} get_records calls in a row with {UNRETRIED_CODE}"


def check_read_retry_backoff(learner: Any, streams: StreamView, keyed_events: list[tuple[str, Any]]) -> None:
    """A failed read is tried again with the same iterator after a pause, a little longer
    after each failure: after four failures in a row, the last pause is longer than the first."""
    name = streams.create(1)
    stored = streams.put(name, keyed_events)
    plan = FirstReadsFail(4, learner.kinesis)
    script = Script()
    consumer = new_consumer(script, name, SHARD0)
    read = script.call(consumer, "consume", expect="every record, after retrying the failed reads", dry=DRY_CLOSE)
    seen = script.observed(consumer)
    outcome = run_with(learner, script, plan)
    called = under(read.label, plan)
    if outcome[seen] != _events(stored):
        raise Feedback(
            called,
            f"passed {len(outcome[seen])} event(s) to process_event",
            f"the {len(stored)} event(s) of the shard, in order",
            "a failed read returned nothing, so the same iterator still points at the next unread record",
        )
    pauses = plan.pauses()
    if len(pauses) == plan.failures and pauses[-1] <= pauses[0] + 0.001:
        shown = ", ".join(f"{p:.3f}" for p in pauses)
        raise Feedback(
            called,
            f"read again {shown} simulated seconds after each failure",
            "a pause after each failed read, a little longer after each failure",
            "a shard that is still busy after a pause needs a longer one: growing pauses (back-off) let it recover",
        )
