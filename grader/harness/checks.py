"""What each task checks, written once and used by public tests (fixed examples) and hidden
tests (hypothesis examples). Each check runs the learner's code, then compares what it
reported with what the grader reads from the stream itself, and explains any difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from grader.harness.faults import Plan, SlowCreation, installed
from grader.harness.feedback import Feedback, Missing, Opaque, show, type_name
from grader.harness.script import CONSUMER, PRODUCER, Outcome, Script, field_equals, key_of
from grader.harness.stream_view import Record, StreamView, encode_event

PRODUCER_CLASS = f"{PRODUCER}.EventProducer"
CONSUMER_CLASS = f"{CONSUMER}.EventConsumer"
RESULT_SHAPE = "a dict {'success': True, 'shard_id': <str>, 'sequence_number': <str>}"


def require_type(value: Any, kind: type, called: str, what: str, why: str = "") -> None:
    """Fail unless ``value`` is exactly of type ``kind`` (an always-equal object is not)."""
    if type(value) is not kind or isinstance(value, (Opaque, Missing)):
        raise Feedback(called, f"gave {what} = {show(value)} (a {type_name(value)})", f"{what} to be a {kind.__name__}", why)


def require_int(value: Any, called: str, what: str) -> int:
    """Fail unless ``value`` is a real int (not a bool, not a look-alike)."""
    require_type(value, int, called, what, "counters are plain whole numbers")
    return value


def require_result_dict(value: Any, called: str) -> dict[str, Any]:
    """Fail unless ``value`` is a real dict with str keys and a bool 'success'."""
    require_type(value, dict, called, "the result", f"send_event returns {RESULT_SHAPE}")
    if not all(type(k) is str for k in value):
        raise Feedback(called, f"returned {show(value)}", "a dict whose keys are strings")
    if type(value.get("success")) is not bool:
        raise Feedback(called, f"returned {show(value)}", "a dict with 'success' set to True or False")
    return value


FAULT_SECONDS_BUDGET, FAULT_HTTP_BUDGET = 150.0, 3000


def run_with(learner: Any, script: Script, faults: Plan | None = None, **budgets: Any) -> Outcome:
    """Run a script while Kinesis follows ``faults`` (if any); serve normally again afterwards."""
    if faults is not None:
        # Retrying with backoff through a run of failures may legitimately take a while.
        budgets = {"seconds_budget": FAULT_SECONDS_BUDGET, "http_budget": FAULT_HTTP_BUDGET, **budgets}
    with installed(learner.kinesis, faults):
        return learner.run(script, **budgets)


def under(called: str, faults: Plan | None) -> str:
    """The call's label, plus what Kinesis did to it when faults were injected."""
    return called if faults is None else f"{called} while {faults.describe()}"


def sent_bytes(records: list[Record]) -> int:
    """Bytes of data that really landed."""
    return sum(len(r.data) for r in records)


# ---------------------------------------------------------------- producer


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


# ---------------------------------------------------------------- consumer


def _consumer_script(name: str, shard_id: str, **consumer_kwargs: Any) -> tuple[Script, Any]:
    script = Script()
    consumer = script.new(CONSUMER_CLASS, name, shard_id, name="consumer", **consumer_kwargs)
    return script, consumer


def check_read_shard(learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]], faults: Plan | None = None) -> None:
    """consume reads one shard from TRIM_HORIZON in order, counting records and bytes exactly.

    With ``faults``, Kinesis fails some GetRecords calls and consume must retry them without
    skipping or repeating a record.
    """
    name = streams.create(shard_count)
    streams.put(name, keyed_events)
    expect = "the list of events read, in order"
    if faults is not None:
        expect += ", each once: retry a failed get_records with the same shard iterator (pausing a little longer each time)"
    # One consumer per shard, all in one run: a run costs more than the calls in it.
    script = Script()
    reads = []
    for shard_id, stored in streams.records(name).items():
        consumer = script.new(CONSUMER_CLASS, name, shard_id, name="consumer")
        iterator = script.call(consumer, "get_shard_iterator", expect="the ShardIterator string from get_shard_iterator")
        read = script.call(consumer, "consume", expect=expect)
        counters = script.attrs(consumer, "events_processed", "bytes_processed")
        reads.append((shard_id, stored, iterator, read, counters))
    outcome = run_with(learner, script, faults)
    for shard_id, stored, iterator, read, counters in reads:
        require_type(outcome[iterator], str, iterator.label, "the returned iterator")
        called = under(read.label, faults)
        events = outcome[read]
        require_type(events, list, called, "the returned value", "consume returns the events it matched")
        wanted = [r.event() for r in stored]
        if events != wanted:
            why = "a consumer must see every record of its shard, oldest first"
            if faults is not None:
                why += "; a failed read returned nothing, so the same iterator still points at the next unread record"
            raise Feedback(called, f"returned {len(events)} event(s): {show(events)}", f"the {len(wanted)} event(s) of {shard_id} in order, each once: {show(wanted)}", why)
        processed = require_int(outcome[counters]["events_processed"], called, "events_processed")
        size = require_int(outcome[counters]["bytes_processed"], called, "bytes_processed")
        if processed != len(stored):
            raise Feedback(called, f"left events_processed at {processed}", f"{len(stored)}, the records on {shard_id}")
        if size != sent_bytes(stored):
            raise Feedback(called, f"left bytes_processed at {size}", f"{sent_bytes(stored)}, the bytes of the records' Data",
                           "record['Data'] is already bytes: its len() is the byte count; decoding first counts characters")


def check_all_shards(learner: Any, streams: StreamView, shard_count: int, keyed_events: list[tuple[str, Any]]) -> None:
    """list_shard_ids names every shard; consume_stream returns every event, in order per key."""
    name = streams.create(shard_count)
    stored = streams.put(name, keyed_events)
    script = Script()
    ids = script.function(f"{CONSUMER}.list_shard_ids", name, expect="every shard id of the stream")
    read = script.function(f"{CONSUMER}.consume_stream", name, expect="every event of every shard")
    outcome = learner.run(script)
    shard_ids = outcome[ids]
    require_type(shard_ids, list, ids.label, "the returned value")
    wanted_ids = [shard_id for shard_id, _, _ in streams.shard_ranges(name)]
    if sorted(s for s in shard_ids if type(s) is str) != sorted(wanted_ids) or len(shard_ids) != len(wanted_ids):
        raise Feedback(ids.label, f"returned {show(shard_ids)}", f"all {len(wanted_ids)} shard ids: {show(wanted_ids)}",
                       "each user's events live on one shard only; a reader that skips a shard misses those users")
    events = outcome[read]
    require_type(events, list, read.label, "the returned value")
    got = Counter(encode_event(e) for e in events)
    want = Counter(encode_event(r.event()) for r in stored)
    if got != want:
        missing_users = sorted({k for k, e in keyed_events if encode_event(e) in (want - got)})
        raise Feedback(read.label, f"returned {len(events)} of the {len(stored)} events" + (f"; none of {show(missing_users)}" if missing_users else ""),
                       f"all {len(stored)} events from the {shard_count} shard(s)",
                       "reading only shards[0] misses every key that hashes to another shard")
    for key in {k for k, _ in keyed_events}:
        order = [encode_event(e) for e in events if isinstance(e, dict) and encode_event(e) in {encode_event(x) for k, x in keyed_events if k == key}]
        wanted_order = [encode_event(e) for k, e in keyed_events if k == key]
        if order != wanted_order:
            raise Feedback(read.label, f"returned the events of key {key!r} out of order", "each key's events in the order they were written",
                           "a key lives on one shard, and a shard is read oldest first")


def check_max_events(learner: Any, streams: StreamView, available: int, max_events: int) -> None:
    """consume(max_events=n) reads exactly min(n, available) records and then returns."""
    name = streams.create(1)
    stored = streams.put(name, [(f"user-{i % 3}", {"userId": f"user-{i % 3}", "type": "view_page", "n": i}) for i in range(available)])
    script, consumer = _consumer_script(name, "shardId-000000000000")
    read = script.call(consumer, "consume", max_events=max_events,
                       expect=f"it to read {min(max_events, available)} event(s) and return")
    counters = script.attrs(consumer, "events_processed")
    outcome = learner.run(script, http_budget=400)
    expected = min(max_events, available)
    called = read.label + f" on a shard holding {available} record(s)"
    processed = require_int(outcome[counters]["events_processed"], called, "events_processed")
    if processed != expected:
        raise Feedback(called, f"read {processed} event(s) (events_processed = {processed})",
                       f"exactly {expected} event(s)" + (f", because max_events was {max_events}" if max_events < available else ", all there were"),
                       "max_events is a promise to the caller; check it after every single event, not once per batch")
    events = outcome[read]
    require_type(events, list, called, "the returned value", "consume returns the events it matched")
    if events != [r.event() for r in stored[:expected]]:
        raise Feedback(called, f"returned {len(events)} event(s): {show(events)}", f"the first {expected} records, in order")


def check_max_seconds(learner: Any, streams: StreamView, seconds: float, available: int = 0) -> None:
    """consume(max_seconds=s) keeps polling an open shard and returns once s seconds passed."""
    name = streams.create(1)
    streams.put(name, [("user-1", {"userId": "user-1", "type": "login", "n": i}) for i in range(available)])
    script, consumer = _consumer_script(name, "shardId-000000000000")
    before = script.clock()
    read = script.call(consumer, "consume", max_seconds=seconds, expect=f"it to return about {seconds:g} seconds later")
    after = script.clock()
    outcome = learner.run(script, seconds_budget=seconds + 60, http_budget=2000)
    elapsed = outcome[after] - outcome[before]
    if not seconds - 0.01 <= elapsed <= seconds + 2.5:
        raise Feedback(read.label + " on an open shard", f"returned after {elapsed:.2f} simulated seconds",
                       f"it to keep polling until {seconds:g} seconds had passed and then return (within a poll interval)",
                       "max_seconds bounds how long the consumer runs; stopping early misses events that arrive later")
    require_type(outcome[read], list, read.label, "the returned value")


def check_throughput(learner: Any, streams: StreamView, count: int) -> None:
    """get_stats gives a fractional duration and events per second that match it."""
    name = streams.create(1)
    streams.put(name, [("user-1", {"userId": "user-1", "type": "search", "n": i}) for i in range(count)])
    script = Script()
    start = script.clock()
    consumer = script.new(CONSUMER_CLASS, name, "shardId-000000000000", name="consumer")
    script.call(consumer, "consume")
    stats = script.call(consumer, "get_stats", expect="{'duration_seconds': <float>, 'events_per_second': <float>, ...}")
    end = script.clock()
    outcome = learner.run(script)
    value = outcome[stats]
    require_type(value, dict, stats.label, "the result")
    duration, rate = value.get("duration_seconds"), value.get("events_per_second")
    elapsed = outcome[end] - outcome[start]
    called = f"consumer.consume() on {count} events, then {stats.label}"
    require_type(duration, float, called, "duration_seconds", "whole seconds hide everything that happens in under a second")
    if not 0 < duration <= elapsed:
        raise Feedback(called, f"reported duration_seconds = {duration!r}", f"a positive duration no longer than the {elapsed:.4f} s that passed",
                       "timedelta.seconds drops the fraction: under one second it is 0")
    if type(rate) not in (float, int) or abs(rate - count / duration) > 1e-6 * max(1.0, count / duration) + 1e-9 * count:
        raise Feedback(called, f"reported events_per_second = {show(rate)}", f"{count} / {duration!r} = {count / duration:.1f}",
                       "throughput is events processed divided by the same duration you report")


def check_filtering(learner: Any, streams: StreamView, events: list[dict[str, Any]], wanted_type: str | None) -> None:
    """process_event and consume apply the filter; processed counts all, matched only matches."""
    name = streams.create(1)
    stored = streams.put(name, [(e["userId"], e) for e in events])
    kwargs = {"event_filter": field_equals("type", wanted_type)} if wanted_type is not None else {}
    script, consumer = _consumer_script(name, "shardId-000000000000", **kwargs)
    direct = [script.call(consumer, "process_event", e, expect="True or False") for e in events[:3]]
    fresh = script.new(CONSUMER_CLASS, name, "shardId-000000000000", name="consumer", **kwargs)
    read = script.call(fresh, "consume", expect="only the matching events")
    counters = script.attrs(fresh, "events_processed", "events_matched")
    outcome = learner.run(script)
    def matches(event: Any) -> bool:
        return wanted_type is None or event.get("type") == wanted_type
    for ref, event in zip(direct, events[:3]):
        got = outcome[ref]
        if type(got) is not bool or got != matches(event):
            raise Feedback(ref.label, f"returned {show(got)}", f"{matches(event)}: the event's type is {event.get('type')!r}" + (f" and the filter wants {wanted_type!r}" if wanted_type else " and there is no filter"),
                           "process_event's answer is how consume knows whether the event matched")
    matched = [r.event() for r in stored if matches(r.event())]
    got_events = outcome[read]
    require_type(got_events, list, read.label, "the returned value")
    if got_events != matched:
        raise Feedback(read.label, f"returned {len(got_events)} event(s)", f"the {len(matched)} matching event(s), in order",
                       "a filtering consumer hands on only what it was asked for")
    processed = require_int(outcome[counters]["events_processed"], read.label, "events_processed")
    matched_count = require_int(outcome[counters]["events_matched"], read.label, "events_matched")
    if (processed, matched_count) != (len(stored), len(matched)):
        raise Feedback(read.label, f"counted events_processed = {processed}, events_matched = {matched_count}",
                       f"events_processed = {len(stored)} (every record read) and events_matched = {len(matched)}",
                       "reading and matching are different: you pay to read every event, even the ones you skip")


def check_independent_consumers(learner: Any, streams: StreamView, consumers: int, keyed_events: list[tuple[str, Any]]) -> None:
    """Several consumers of the same shard each read every event."""
    name = streams.create(1)
    stored = streams.put(name, keyed_events)
    scripts, reads = [], []
    for _ in range(consumers):
        script, consumer = _consumer_script(name, "shardId-000000000000")
        reads.append(script.call(consumer, "consume"))
        scripts.append(script)
    outcomes = learner.run_together(scripts)
    wanted = [r.event() for r in stored]
    for number, (outcome, ref) in enumerate(zip(outcomes, reads), 1):
        require_type(outcome[ref], list, ref.label, "the returned value", "consume returns the events it matched")
        if outcome[ref] != wanted:
            raise Feedback(f"{consumers} consumers, each calling consumer.consume() at the same time", f"gave consumer {number} {len(outcome[ref]) if isinstance(outcome[ref], list) else show(outcome[ref])} event(s)",
                           f"every consumer to read all {len(wanted)} events", "unlike a queue, reading a stream removes nothing: each consumer sees every event")


def first_values(outcome: Outcome, refs: list[Any]) -> list[Any]:
    """Decoded values of several steps."""
    return [outcome[r] for r in refs]
