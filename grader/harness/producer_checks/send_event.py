"""Checks of producer.send_event: one record per call, the event's JSON as its data, and
failures reported in the result instead of raised."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    RESULT_SHAPE,
    require_result_dict,
    require_type,
)
from grader.harness.feedback import Feedback, show
from grader.harness.producer_checks.matching import same_event
from grader.harness.script import Script
from grader.kinesis.stream_view import Record, StreamView, encode_event


def _data_text(record: Record) -> str:
    return record.data.decode("utf-8", "replace")[:200]


def check_send_event(learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]]) -> None:
    """Clauses 1-3: one record per call, with the given key and the event's JSON as data; the
    result names the record's shard and sequence number."""
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    refs = [script.call(producer, "send_event", event, key, expect=RESULT_SHAPE) for key, event in keyed_events]
    outcome = learner.run(script)
    stored = streams.all_records(name)
    by_sequence = {(r.shard_id, r.sequence): r for r in stored}
    for (key, event), ref in zip(keyed_events, refs):
        result = require_result_dict(outcome[ref], ref.label)
        if result.get("success") is not True:
            raise Feedback(
                ref.label,
                f"returned {show(result)}",
                RESULT_SHAPE,
                "the stream exists and is healthy, so the put should succeed",
            )
        shard, sequence = result.get("shard_id"), result.get("sequence_number")
        require_type(shard, str, ref.label, "result['shard_id']")
        require_type(sequence, str, ref.label, "result['sequence_number']")
        record = by_sequence.get((shard, int(sequence) if sequence.isdigit() else -1))
        if record is None:
            raise Feedback(
                ref.label,
                f"returned {show(result)}, but no record of the stream has that shard and sequence number",
                "the ShardId and SequenceNumber of put_record's response",
                "callers use them to know where their event went",
            )
        if record.key != key:
            raise Feedback(
                ref.label,
                f"put the record with partition key {record.key!r}",
                f"the partition key it was given, {key!r}",
                "the caller chooses the key, and with it the shard and the order its events keep",
            )
        if not same_event(record, event):
            raise Feedback(
                ref.label,
                f"stored the data {_data_text(record)!r}",
                f"data that json.loads turns back into the event sent, e.g. {encode_event(event).decode('utf-8')!r} "
                "(key order, spacing and escapes are yours to choose)",
                "consumers decode each record with json.loads and expect the very event that was sent",
            )
    if len(stored) != len(keyed_events):
        raise Feedback(
            f"send_event {len(keyed_events)} time(s)",
            f"left {len(stored)} record(s) in the stream",
            f"{len(keyed_events)} record(s), one per call",
            "each call sends exactly one event",
        )


# Partition keys Kinesis cannot take, each refused another way: boto3 checks the length of
# the key before sending anything (an empty key raises ParamValidationError, not a
# ClientError), while a key of 257 characters reaches Kinesis, which answers ValidationException.
REFUSED_KEYS = {"": "boto3's ParamValidationError, before any request", "k" * 257: "Kinesis's ValidationException"}


def check_send_to_missing_stream(learner: Any, streams: StreamView, events: list[Any], odd_keys: bool = False) -> None:
    """send_event's clause 4 (and clause 3's "a healthy stream succeeds", so that never sending scores nothing):
    send_event to a stream that does not exist returns the error instead of raising. With
    ``odd_keys``, so does a send that boto3 refuses before sending it, and one Kinesis refuses
    for its key (``REFUSED_KEYS``): every kind of failure the clause names."""
    healthy = streams.create(1)
    name = streams.new_name() + "-missing"
    script = Script()
    good = script.new(PRODUCER_CLASS, healthy, name="producer")
    sent = script.call(good, "send_event", events[0], "user-1", expect=RESULT_SHAPE)
    failure = "{'success': False, 'error': ...}, not an exception"
    refused = [
        (script.call(good, "send_event", events[0], key, expect=failure), how)
        for key, how in (REFUSED_KEYS.items() if odd_keys else ())
    ]
    producer = script.new(PRODUCER_CLASS, name, name="other_producer")
    refs = [
        script.call(
            producer,
            "send_event",
            event,
            "user-1",
            expect="{'success': False, 'error': <a message>} instead of an exception",
        )
        for event in events
    ]
    outcome = learner.run(script)
    result = require_result_dict(outcome[sent], sent.label)
    if result.get("success") is not True or len(streams.all_records(healthy)) != 1:
        raise Feedback(
            sent.label,
            f"returned {show(result)} and left {len(streams.all_records(healthy))} record(s) in the stream",
            "'success': True and the event in the stream",
            "the stream exists and is healthy; a producer that never sends cannot report failures honestly",
        )
    missing = "a stream that does not exist: Kinesis's ResourceNotFoundException"
    for ref, how in [(ref, missing) for ref in refs] + refused:
        result = require_result_dict(outcome[ref], ref.label)
        if result.get("success") is not False:
            raise Feedback(
                ref.label,
                f"returned {show(result)} for a send refused by {how}",
                "{'success': False, 'error': ...}",
                "reporting success for a lost event hides data loss",
            )
        if type(result.get("error")) is not str or not result.get("error"):
            raise Feedback(
                ref.label,
                f"returned {show(result)}",
                "an 'error' entry holding the error message as a string",
                f"the message tells the caller what went wrong (here: {how})",
            )
