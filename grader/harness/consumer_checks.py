"""Checks of the consumer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from grader.harness.checking import CONSUMER_CLASS, require_int, require_type, run_with, sent_bytes, under
from grader.harness.faults import Plan
from grader.harness.feedback import Feedback, show
from grader.harness.script import CONSUMER, Script, field_equals
from grader.harness.stream_view import StreamView, encode_event


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
