"""Checks of the producer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    RESULT_SHAPE,
    require_int,
    require_result_dict,
    require_type,
    run_with,
    sent_bytes,
    under,
)
from grader.harness.faults import Plan, SlowCreation
from grader.harness.feedback import Feedback, show
from grader.harness.script import Script, key_of
from grader.harness.stream_view import StreamView, encode_event


def check_stream_setup(learner: Any, streams: StreamView, shard_count: int, calls: int = 2, creating: SlowCreation | None = None) -> None:
    """ensure_stream_exists creates an ACTIVE stream with shard_count shards; calling again is harmless.

    With ``creating``, the new stream stays CREATING for a while and the method must wait it out.
    """
    name = streams.new_name()
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    for attempt in range(calls):
        count = shard_count if attempt == 0 else shard_count + 1
        script.call(producer, "ensure_stream_exists", shard_count=count,
                    expect="it to create the stream, or leave an existing one as it is, without an error")
    run_with(learner, script, creating)
    called = under(f"EventProducer({name!r}).ensure_stream_exists(shard_count={shard_count})" + (" twice" if calls > 1 else ""), creating)
    if creating is not None and name in creating.waiting and name not in creating.active_seen:
        seen = creating.described_creating(name)
        raise Feedback(called, f"returned while the stream was still CREATING (after {seen} call(s) about it, each answered CREATING or not found)",
                       "the method to keep checking describe_stream (pausing between checks) until StreamStatus is ACTIVE, then return",
                       "a new stream refuses writes until it is ACTIVE: a put_record right after an early return fails with ResourceNotFoundException")
    if not streams.exists(name):
        raise Feedback(called, "returned, but there is no stream of that name", f"a stream named {name!r}",
                       "producers cannot write to a stream that was never created")
    description = streams.describe(name)
    if description["StreamStatus"] != "ACTIVE":
        raise Feedback(called, f"returned while the stream was {description['StreamStatus']}", "the method to wait until ACTIVE",
                       "a stream refuses writes until it is ACTIVE")
    if len(description["Shards"]) != shard_count:
        raise Feedback(called, f"left the stream with {len(description['Shards'])} shard(s)", f"{shard_count} shard(s)",
                       "the first call sets the shard count; later calls must not change an existing stream")


def check_send_event(learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]]) -> None:
    """send_event puts each event with its key and returns the shard and sequence number."""
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    refs = [script.call(producer, "send_event", event, key, expect=RESULT_SHAPE) for key, event in keyed_events]
    outcome = learner.run(script)
    stored = streams.all_records(name)
    by_sequence = {(r.shard_id, r.sequence): r for r in stored}
    for (key, _event), ref in zip(keyed_events, refs):
        result = require_result_dict(outcome[ref], ref.label)
        if result.get("success") is not True:
            raise Feedback(ref.label, f"returned {show(result)}", RESULT_SHAPE, "the stream exists, so the put should succeed")
        shard, sequence = result.get("shard_id"), result.get("sequence_number")
        require_type(shard, str, ref.label, "result['shard_id']")
        require_type(sequence, str, ref.label, "result['sequence_number']")
        record = by_sequence.get((shard, int(sequence) if sequence.isdigit() else -1))
        if record is None or record.key != key:
            raise Feedback(ref.label, f"returned {show(result)}, but no record with key {key!r} has that shard and sequence number",
                           "the ShardId and SequenceNumber of put_record's response",
                           "callers use them to know where their event went")
    if len(stored) != len(keyed_events):
        raise Feedback(f"send_event {len(keyed_events)} time(s)", f"left {len(stored)} record(s) in the stream",
                       f"{len(keyed_events)} record(s), one per call", "each call sends exactly one event")


def check_send_to_missing_stream(learner: Any, streams: StreamView, events: list[Any]) -> None:
    """send_event to a stream that does not exist reports the error instead of raising."""
    name = streams.new_name() + "-missing"
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    refs = [script.call(producer, "send_event", event, "user-1",
                        expect="{'success': False, 'error': <a message>} instead of an exception") for event in events]
    outcome = learner.run(script)
    for ref in refs:
        result = require_result_dict(outcome[ref], ref.label)
        if result.get("success") is not False:
            raise Feedback(ref.label, f"returned {show(result)} for a stream that does not exist", "{'success': False, 'error': ...}",
                           "reporting success for a lost event hides data loss")
        if type(result.get("error")) is not str or not result.get("error"):
            raise Feedback(ref.label, f"returned {show(result)}", "an 'error' entry holding the error message as a string",
                           "the message tells the caller what went wrong (here: ResourceNotFoundException)")


def check_counters(learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]], failing: int = 0) -> None:
    """events_sent and bytes_sent count exactly the records that landed, in UTF-8 bytes."""
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    for key, event in keyed_events:
        script.call(producer, "send_event", event, key, expect=RESULT_SHAPE)
    counters = script.attrs(producer, "events_sent", "bytes_sent")
    ghost = script.new(PRODUCER_CLASS, name + "-missing", name="other_producer")
    for key, event in keyed_events[:failing]:
        script.call(ghost, "send_event", event, key, expect="{'success': False, 'error': ...}")
    ghost_counters = script.attrs(ghost, "events_sent", "bytes_sent")
    outcome = learner.run(script)
    stored = streams.all_records(name)
    first = f"producer.send_event({show(keyed_events[0][1])}, {keyed_events[0][0]!r})"
    called = first if len(keyed_events) == 1 else f"producer.send_event(...) {len(keyed_events)} times, the first being {first}"
    events_sent = require_int(outcome[counters]["events_sent"], called, "events_sent")
    bytes_sent = require_int(outcome[counters]["bytes_sent"], called, "bytes_sent")
    if events_sent != len(stored):
        raise Feedback(called, f"left events_sent at {events_sent}", f"{len(stored)}, the number of records that landed",
                       "the counter is how you know how much your producer really wrote")
    if bytes_sent != sent_bytes(stored):
        chars = sum(len(r.data.decode("utf-8")) for r in stored)
        hint = " (that is the number of characters, not bytes)" if bytes_sent == chars else ""
        raise Feedback(called, f"left bytes_sent at {bytes_sent}{hint}", f"{sent_bytes(stored)}, the UTF-8 bytes of the data sent",
                       "Kinesis limits and bills by bytes, and non-ASCII characters such as 'ë' take more than one byte")
    if failing:
        ghost_called = f"other_producer.send_event(...) {failing} time(s) on a stream that does not exist"
        values = outcome[ghost_counters]
        for counter in ("events_sent", "bytes_sent"):
            if require_int(values[counter], ghost_called, counter) != 0:
                raise Feedback(ghost_called, f"left {counter} at {values[counter]}", f"{counter} == 0",
                               "a failed send did not send anything; count only after put_record succeeded")


def check_send_batch(learner: Any, streams: StreamView, shard_count: int, events: list[dict[str, Any]], key_field: str = "userId",
                     faults: Plan | None = None) -> None:
    """send_batch keys each event by user, routes by MD5, keeps per-key order, loses nothing.

    With ``faults``, Kinesis fails some calls (throttling, 5xx) and send_batch must retry them.
    """
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    expect = "one result per event, each with 'success': True"
    if faults is not None:
        expect += ", after retrying each failed send (pausing a little longer each time) before sending the next event"
    batch = script.call(producer, "send_batch", events, key_of(key_field), expect=expect)
    outcome = run_with(learner, script, faults)
    called = under(batch.label, faults)
    verify_landed(streams, name, called, [(e[key_field], e) for e in events])
    results = outcome[batch]
    if results is None:  # the module's own send_batch returns nothing: accepted
        return
    require_type(results, list, called, "the returned value", "send_batch returns one result per event")
    if len(results) != len(events):
        raise Feedback(called, f"returned {len(results)} result(s)", f"{len(events)}, one per event")


def verify_landed(streams: StreamView, name: str, called: str, keyed_events: list[tuple[str, Any]]) -> None:
    """Every event landed once, with its key, on the shard MD5(key) picks, in order per key."""
    stored = streams.all_records(name)
    sent = Counter((k, encode_event(e)) for k, e in keyed_events)
    landed = Counter((r.key, encode_event(r.event())) for r in stored)
    missing, extra = sent - landed, landed - sent
    if missing or extra:
        wrong_keys = {k for k, _ in landed} - {k for k, _ in keyed_events}
        if wrong_keys:
            raise Feedback(called, f"wrote records with partition key(s) {show(sorted(wrong_keys))}",
                           f"each event's own key, here {show(sorted({k for k, _ in keyed_events}))}",
                           "the partition key picks the shard; per-user keys keep each user's events in order")
        lost = sum(missing.values())
        doubled = sum(extra.values())
        raise Feedback(called, f"left {len(stored)} record(s) in the stream ({lost} event(s) missing, {doubled} extra)",
                       f"exactly the {len(keyed_events)} event(s) sent, each once", "a stream is a log: lost or repeated events corrupt every consumer's view")
    ranges = streams.shard_ranges(name)  # one describe_stream for all records, not one each
    for record in stored:
        expected = streams.shard_for(name, record.key, ranges)
        if record.shard_id != expected:
            raise Feedback(called, f"put key {record.key!r} on {record.shard_id}", f"{expected}, the shard whose hash range holds MD5({record.key!r})",
                           "Kinesis routes by the partition key's hash; an ExplicitHashKey or wrong key breaks per-user placement")
    order: dict[str, list[bytes]] = defaultdict(list)
    for record in stored:
        order[record.key].append(encode_event(record.event()))
    for key in order:
        wanted = [encode_event(e) for k, e in keyed_events if k == key]
        if order[key] != wanted:
            positions = [wanted.index(d) + 1 for d in order[key] if d in wanted]
            raise Feedback(called, f"stored the events of key {key!r} in the order {positions} on {streams.shard_for(name, key)}",
                           f"the order they were sent: {list(range(1, len(wanted) + 1))}",
                           "Kinesis keeps order per shard; a consumer replaying a user's events must see them as they happened")


def check_stats(learner: Any, streams: StreamView, shard_count: int, retention_hours: int) -> None:
    """get_stats reports describe_stream's status, shard count and retention."""
    name = streams.create(shard_count, retention_hours)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    stats = script.call(producer, "get_stats", expect="{'status': ..., 'shards': ..., 'retention_hours': ...}")
    value = learner.run(script)[stats]
    description = streams.describe(name)
    wanted = {"status": description["StreamStatus"], "shards": len(description["Shards"]), "retention_hours": description["RetentionPeriodHours"]}
    require_type(value, dict, stats.label, "the result")
    for field, expected in wanted.items():
        got = value.get(field)
        if type(got) is not type(expected) or got != expected:
            raise Feedback(stats.label, f"returned {field} = {show(got)}", f"{show(expected)}, as describe_stream says (stream with {shard_count} shard(s), retention {description['RetentionPeriodHours']} h)",
                           "stats must describe the real stream, read fresh from Kinesis")


def check_concurrent_producers(learner: Any, streams: StreamView, shard_count: int, batches: list[list[dict[str, Any]]]) -> None:
    """Several producers at once: every event of every producer lands, each counts its own."""
    name = streams.create(shard_count)
    scripts, refs = [], []
    for batch in batches:
        script = Script()
        producer = script.new(PRODUCER_CLASS, name, name="producer")
        script.call(producer, "send_batch", batch, key_of("userId"))
        refs.append(script.attrs(producer, "events_sent", "bytes_sent"))
        scripts.append(script)
    outcomes = learner.run_together(scripts)
    called = f"{len(batches)} producers, each calling send_batch at the same time"
    verify_landed(streams, name, called, [(e["userId"], e) for batch in batches for e in batch])
    for batch, outcome, ref in zip(batches, outcomes, refs):
        counted = require_int(outcome[ref]["events_sent"], called, "events_sent")
        if counted != len(batch):
            raise Feedback(called, f"gave one producer events_sent = {counted}", f"{len(batch)}, the events that producer sent",
                           "each producer counts only its own events")
