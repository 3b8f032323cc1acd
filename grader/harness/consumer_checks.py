"""Checks of the consumer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).

How reading is observed: every consumer the grader makes is of a subclass whose
``process_event`` first notes the event it is given, then calls the learner's. A read is
judged on those events (and on the counters), never on what ``consume`` returns, so a
``consume`` that reads right but returns the wrong thing loses consumer.filtering only.
Every read is bounded: in a reading check, a shard that has nothing new for 3 reads in a
row is made to look closed (Kinesis then sends no NextShardIterator), so a ``consume`` that
never stops by itself still ends and keeps its reading points; consumer.stopping is where
stopping is judged.

One mistake, one task: a check looks only at what its task's contract promises (see the
docstrings of ``solutions/enhanced_consumer.py``). Counters are judged on the first consumer
of a run only (a later one may share state with it, which is consumer.independence's), and
checks of other tasks compare the learner's own figures with each other where they can.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from grader.harness.checking import CONSUMER_CLASS, require_int, require_type, run_with, sent_bytes, under
from grader.harness.feedback import Feedback, Missing, show
from grader.harness.script import CONSUMER, Ref, Script, field_equals, halted, noted_field_equals
from grader.kinesis.faults import Plan
from grader.kinesis.stream_view import Record, StreamView, encode_event, hash_key

SHARD0 = "shardId-000000000000"
COUNTERS = ("events_processed", "bytes_processed", "events_matched")
DRY_CLOSE = (3, True)  # reading checks: after 3 dry reads in a row the shard looks closed
DRY_STOP = (3, False)  # stopping checks: after 3 dry reads in a row the call is stopped


# --- Kinesis conditions the grader produces -------------------------------------------------


def iterator_position(iterator: Any) -> tuple[str, str, int] | None:
    """(stream, shard, last sequence read) of an embedded-Kinesis shard iterator, or None."""
    if type(iterator) is not str:
        return None
    try:
        stream, shard, sequence = base64.b64decode(iterator).decode("utf-8").rsplit(":", 2)
        return stream, shard, int(sequence)
    except (ValueError, UnicodeDecodeError):
        return None


def make_iterator(stream: str, shard: str, sequence: int) -> str:
    """An iterator that reads after ``sequence``, in the embedded Kinesis's own format."""
    return base64.encodebytes(f"{stream}:{shard}:{sequence}".encode()).decode("utf-8")


@dataclass
class UnevenReads(Plan):
    """Reads as real Kinesis gives them: some empty while records are still ahead
    (MillisBehindLatest above 0), others shorter than the Limit asked for.

    ``empty_calls`` are GetRecords call numbers (1-based) that return no records although the
    shard has more; every other read returns at most ``cap`` records. Nothing is skipped:
    the next iterator points just after the last record returned.
    """

    empty_calls: frozenset[int] = frozenset()
    cap: int | None = None
    calls: int = field(default=0, init=False)

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Empty or shorten a GetRecords answer that had records."""
        if operation != "GetRecords" or not isinstance(response.get("Records"), list):
            return response
        self.calls += 1
        records = response["Records"]
        position = iterator_position(request.get("ShardIterator"))
        if not records or position is None:
            return response
        stream, shard, _ = position
        behind = max(1000, int(response.get("MillisBehindLatest") or 0))
        if self.calls in self.empty_calls:
            return {
                **response,
                "Records": [],
                "NextShardIterator": request["ShardIterator"],
                "MillisBehindLatest": behind,
            }
        if self.cap is not None and len(records) > self.cap:
            kept = records[: self.cap]
            last = int(kept[-1]["SequenceNumber"])
            return {
                **response,
                "Records": kept,
                "NextShardIterator": make_iterator(stream, shard, last),
                "MillisBehindLatest": behind,
            }
        return response

    def describe(self) -> str:
        """What the learner's code met."""
        parts = []
        if self.empty_calls:
            calls = ", ".join(map(str, sorted(self.empty_calls)))
            parts.append(
                f"get_records calls {calls} returned no records with MillisBehindLatest > 0 (more records ahead)"
            )
        if self.cap is not None:
            parts.append(f"every read returned at most {self.cap} record(s), fewer than the Limit asked for")
        return "; ".join(parts) or "Kinesis answered normally"


@dataclass
class ClosedShards(Plan):
    """A closed shard's last read has no NextShardIterator, as on AWS (moto keeps giving one)."""

    last: dict[str, int]  # closed shard id -> its last sequence number

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Drop the next iterator once a closed shard has been read to its end."""
        if operation != "GetRecords":
            return response
        position = iterator_position(response.get("NextShardIterator"))
        if position is not None and position[1] in self.last and position[2] >= self.last[position[1]]:
            return {**response, "NextShardIterator": None, "MillisBehindLatest": 0}
        return response


@dataclass
class ReadCounter(Plan):
    """Counts GetRecords calls."""

    calls: int = field(default=0, init=False)

    def fault(self, operation: str, request: dict[str, Any]) -> None:
        """Count; never fail."""
        if operation == "GetRecords":
            self.calls += 1


def split_keeping_records(streams: StreamView, name: str, shard_id: str) -> list[str]:
    """Split a shard as AWS does: the parent is closed and keeps its records; two children
    take its hash range. Returns the children's ids (moto's own split moves the records)."""
    from moto.kinesis.models import Shard

    with streams.kinesis.lock:
        stream = streams.kinesis.backend().streams[name]
        parent = stream.shards[shard_id]
        last_id = max(s._shard_id for s in stream.shards.values())
        middle = (parent.starting_hash + parent.ending_hash) // 2
        children = [
            Shard(last_id + 1, parent.starting_hash, middle - 1, parent=shard_id),
            Shard(last_id + 2, middle, parent.ending_hash, parent=shard_id),
        ]
        for child in children:
            stream.shards[child.shard_id] = child
        parent.is_open = False
    return [child.shard_id for child in children]


def put_on_open_shards(streams: StreamView, name: str, keyed_events: list[tuple[str, Any]]) -> list[Record]:
    """Write events to the open shard whose range holds each key (moto would pick a closed parent)."""
    stored = []
    with streams.kinesis.lock:
        stream = streams.kinesis.backend().streams[name]
        open_shards = [s for s in stream.shards.values() if s.is_open]
        for key, event in keyed_events:
            value = hash_key(key)
            shard = next(s for s in open_shards if s.starting_hash <= value <= s.ending_hash)
            data = encode_event(event)
            sequence = shard.put_record(key, base64.b64encode(data).decode("ascii"), None)
            stored.append(Record(shard.shard_id, int(sequence), key, data))
    return stored


# --- helpers ---------------------------------------------------------------------------------


def _new_consumer(script: Script, name: str, shard_id: str, **kwargs: Any) -> Ref:
    return script.new(CONSUMER_CLASS, name, shard_id, name="consumer", observe=True, **kwargs)


def _events(records: list[Record]) -> list[Any]:
    return [r.event() for r in records]


def _observed(outcome: Any, ref: Ref) -> list[Any]:
    value = outcome[ref]
    return value if isinstance(value, list) else []


def _not_stopped(value: Any, called: str, why: str) -> None:
    if halted(value):
        raise Feedback(
            called,
            "kept reading after every record had been read: it polled the shard 3 times in a row and found nothing "
            "new, "
            "so the grader stopped it",
            "it to return",
            why,
        )


# --- consumer.read_shard ---------------------------------------------------------------------


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
        consumer = _new_consumer(script, name, shard_id)
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


# --- consumer.all_shards ---------------------------------------------------------------------


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
        split_keeping_records(streams, name, SHARD0)
        stored += put_on_open_shards(streams, name, keyed_events[half:])
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
    shard_ids = outcome[ids]
    require_type(shard_ids, list, ids.label, "the returned value")
    wanted_ids = [shard_id for shard_id, _, _ in streams.shard_ranges(name)]
    if sorted(s for s in shard_ids if type(s) is str) != sorted(wanted_ids) or len(shard_ids) != len(wanted_ids):
        raise Feedback(
            ids.label + resharded,
            f"returned {show(shard_ids)}",
            f"all {len(wanted_ids)} shard ids, each once: {show(wanted_ids)}",
            "each user's events live on one shard only; a reader that skips a shard misses those users"
            + ("; a closed parent shard still holds the older events" if reshard else ""),
        )
    result = outcome[read]
    called = read.label + resharded
    _not_stopped(result, called, "consume_stream reads each shard until it is caught up")
    require_type(result, list, called, "the returned value", "consume_stream returns the events its consumers matched")
    given, returned = outcome[inside]
    # Its own consumers' process_event calls, if it used EventConsumer; else what it returned.
    events = given if given else result
    if wanted_type is not None:
        asked_about = Counter(encode_event(e) for e in outcome[asked])
        if Counter(encode_event(r.event()) for r in stored) - asked_about:
            raise Feedback(
                called,
                f"asked the filter about {sum(asked_about.values())} of the {len(stored)} events",
                "every event of every shard to be offered to the filter",
                "consume_stream passes event_filter on to the EventConsumer of each shard",
            )
    got = Counter(encode_event(e) for e in events)
    want = Counter(encode_event(r.event()) for r in stored)
    if max_events is None:
        if got != want:
            missing_users = sorted({r.key for r in stored if encode_event(r.event()) in (want - got)})
            raise Feedback(
                called,
                f"read {sum(got.values())} of the {len(stored)} events"
                + (f"; none of {show(missing_users)}" if missing_users else ""),
                f"all {len(stored)} events from the {len(wanted_ids)} shard(s), each once",
                "reading only shards[0] misses every key that hashes to another shard",
            )
    else:
        wanted_count = min(max_events, len(stored))
        if len(events) != wanted_count or got - want:
            raise Feedback(
                called,
                f"read {len(events)} record(s)",
                f"exactly {wanted_count}: max_events counts the records read over all shards",
                "max_events is a promise to the caller, whatever the number of shards",
            )
    for key in {r.key for r in stored}:
        mine = [encode_event(r.event()) for r in stored if r.key == key]
        order = [encode_event(e) for e in events if isinstance(e, dict) and encode_event(e) in set(mine)]
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


# --- consumer.stopping -----------------------------------------------------------------------


def _read_counts(outcome: Any, seen: list[Ref], counters: list[Ref]) -> list[int]:
    """Records read by each call: from process_event, or from events_processed if it was never called."""
    observed = [len(_observed(outcome, ref)) for ref in seen]
    if observed and observed[-1] == 0:
        totals = [outcome[ref]["events_processed"] for ref in counters]
        if all(type(t) is int for t in totals):
            observed = totals
    return [after - before for before, after in zip([0, *observed], observed)]


def check_max_events(
    learner: Any,
    streams: StreamView,
    available: int,
    limits: list[int],
    reads: UnevenReads | None = None,
    filtered: bool = False,
) -> None:
    """consume(max_events=n) reads exactly min(n, available) records and then returns, call
    after call on one consumer; with ``reads``, reads come back empty while behind or short;
    ``filtered``: half the events match the consumer's filter (max_events counts records read)."""
    name = streams.create(1)
    types = ["view_page", "search"]
    stored = streams.put(
        name, [(f"user-{i % 3}", {"userId": f"user-{i % 3}", "type": types[i % 2], "n": i}) for i in range(available)]
    )
    script = Script()
    consumer = _new_consumer(
        script, name, SHARD0, **({"event_filter": field_equals("type", "search")} if filtered else {})
    )
    calls, seen, counters = [], [], []
    for limit in limits:
        expected = min(limit, available)
        calls.append(
            script.call(
                consumer, "consume", max_events=limit, expect=f"it to read {expected} event(s) and return", dry=DRY_STOP
            )
        )
        seen.append(script.observed(consumer))
        counters.append(script.attrs(consumer, "events_processed"))
    outcome = run_with(learner, script, reads, http_budget=1000)
    counts = _read_counts(outcome, seen, counters)
    behind = f" while {reads.describe()}" if reads is not None and reads.describe() != Plan().describe() else ""
    for limit, call, count in zip(limits, calls, counts):
        called = f"{call.label} on a shard holding {len(stored)} record(s){behind}"
        _not_stopped(
            outcome[call],
            called,
            "a shard is caught up when a read returns no records and MillisBehindLatest is 0; "
            "an open shard always returns a next iterator, so waiting for it to be missing never ends",
        )
        expected = min(limit, available)
        if count != expected:
            if count < expected:
                why = (
                    (
                        "an empty read while MillisBehindLatest > 0, or a read with fewer records than the Limit, "
                        "is not the end of the shard: keep reading"
                    )
                    if behind
                    else "read until the shard is caught up or max_events is reached"
                )
            else:
                why = "max_events is a promise to the caller; check it after every single event, not once per batch"
            raise Feedback(
                called,
                f"read {count} record(s)",
                f"exactly {expected}"
                + (f", because max_events was {limit}" if limit < available else ", all there were"),
                why,
            )


def check_max_seconds(learner: Any, streams: StreamView, seconds: float, available: int, poll_interval: float) -> None:
    """consume(max_seconds=s) reads what there is, keeps polling every poll_interval and
    returns within a poll interval after s seconds, counted from each call; max_seconds=0
    reads nothing; max_events still stops it early."""
    name = streams.create(1)
    streams.put(name, [("user-1", {"userId": "user-1", "type": "login", "n": i}) for i in range(available)])
    script = Script()
    consumer = _new_consumer(script, name, SHARD0, poll_interval=poll_interval)
    plan: list[tuple[dict[str, Any], int]] = [
        ({"max_seconds": seconds}, available),
        ({"max_seconds": seconds}, available),
        ({"max_seconds": 0}, 0),
    ]
    if available >= 2:
        plan.append(({"max_events": 1, "max_seconds": seconds}, 1))
    steps = []
    for kwargs, expected in plan:
        before = script.clock()
        call = script.call(consumer, "consume", expect="it to return once the time is up", **kwargs)
        steps.append(
            (
                kwargs,
                expected,
                before,
                call,
                script.clock(),
                script.observed(consumer),
                script.attrs(consumer, "events_processed"),
            )
        )
    counter = ReadCounter()
    most = sum(int(k.get("max_seconds", 0) / poll_interval) + 3 + available for k, *_ in plan)
    # Budgets far above what polling every poll_interval needs, low enough that polling
    # without a pause ends within the run's real-time limit (as "never finished").
    outcome = run_with(learner, script, counter, seconds_budget=4 * seconds + 5, http_budget=3 * most + 30)
    counts = _read_counts(outcome, [s[5] for s in steps], [s[6] for s in steps])
    for number, ((kwargs, expected, before, call, after, _, _), count) in enumerate(zip(steps, counts), 1):
        elapsed = outcome[after] - outcome[before]
        called = (
            f"{call.label} (call {number} on one consumer made with poll_interval={poll_interval:g}) on an open shard "
            f"holding {available} record(s)"
        )
        limit = kwargs.get("max_seconds")
        if "max_events" in kwargs:
            if count != 1 or elapsed >= seconds:
                raise Feedback(
                    called,
                    f"read {count} record(s) in {elapsed:.2f} simulated seconds",
                    "1 record, returning at once: max_events and max_seconds each stop it, whichever comes first",
                )
            continue
        # Within a poll interval after the deadline, plus one read's pause (Kinesis allows 5 reads a second per shard).
        low, high = limit - 0.001, limit + poll_interval + 0.21
        if not low <= elapsed <= high:
            raise Feedback(
                called,
                f"returned after {elapsed:.2f} simulated seconds",
                f"it to keep polling until {limit:g} seconds after this call started, and to return within one "
                "poll_interval after that",
                "the time counts from the start of each call (not from when the consumer was made), in fractions of a "
                "second, "
                "and it is checked before every read; after an empty read wait poll_interval, not a fixed time",
            )
        if count != expected:
            raise Feedback(
                called,
                f"read {count} record(s)",
                f"{expected}: "
                + (
                    "every record there is, then keep polling" if expected else "none, since no time is left for a read"
                ),
                "max_seconds bounds the time, it does not replace reading"
                if expected
                else "max_seconds=0 is a limit, not 'no limit': test 'is not None', not truthiness",
            )
    if counter.calls > most:
        raise Feedback(
            f"consume(max_seconds=...) on a consumer made with poll_interval={poll_interval:g}",
            f"called get_records {counter.calls} times",
            f"at most about {most}: one read, then one per poll_interval while nothing is new",
            "polling without a pause costs read capacity (5 reads per second per shard) and money, and finds nothing "
            "sooner",
        )


# --- consumer.throughput ---------------------------------------------------------------------


def check_throughput(learner: Any, streams: StreamView, count: int, wanted_type: str | None = None) -> None:
    """get_stats: the counters as they are, a fractional duration from creation to the call,
    and events processed (matched or not) per second of that duration."""
    name = streams.create(1)
    types = ["search", "login"]
    streams.put(name, [("user-1", {"userId": "user-1", "type": types[i % 2], "n": i}) for i in range(count)])
    kwargs = {"event_filter": field_equals("type", wanted_type)} if wanted_type else {}
    script = Script()
    start = script.clock()
    consumer = _new_consumer(script, name, SHARD0, **kwargs)
    made = script.clock()
    script.sleep(0.3)
    script.call(consumer, "consume", dry=DRY_CLOSE)
    script.sleep(0.4)
    asked = script.clock()
    stats = script.call(
        consumer, "get_stats", expect="{'duration_seconds': <float>, 'events_per_second': <float>, ...}"
    )
    end = script.clock()
    counters = script.attrs(consumer, "events_processed", "bytes_processed", "events_matched")
    outcome = learner.run(script)
    value = outcome[stats]
    called = (
        f"consumer = EventConsumer(...{', event_filter=...' if wanted_type else ''}); 0.3 s later consumer.consume() "
        f"on {count} events; 0.4 s later {stats.label}"
    )
    require_type(value, dict, called, "the result")
    for key in ("events_processed", "bytes_processed", "events_matched"):
        if key not in value or value[key] != outcome[counters][key]:
            raise Feedback(
                called,
                f"reported {key} = {show(value.get(key))}",
                f"{show(outcome[counters][key])}, the value of consumer.{key}",
                "the stats report the counters as they are",
            )
    duration, rate = value.get("duration_seconds"), value.get("events_per_second")
    require_type(
        duration, float, called, "duration_seconds", "whole seconds hide everything that happens in under a second"
    )
    shortest, longest = outcome[asked] - outcome[made], outcome[end] - outcome[start]
    if not shortest <= duration <= longest:
        raise Feedback(
            called,
            f"reported duration_seconds = {duration!r}",
            f"the time from the consumer's creation to this call: between {shortest:.4f} and {longest:.4f} s",
            "timedelta.seconds drops the fraction; measure from __init__ to the moment get_stats is called",
        )
    processed = value["events_processed"]
    if (
        type(rate) not in (float, int)
        or type(processed) is not int
        or abs(rate - processed / duration) > 1e-6 * max(1.0, processed / duration)
    ):
        raise Feedback(
            called,
            f"reported events_per_second = {show(rate)}",
            f"{processed} / {duration!r} = {processed / duration:.1f}"
            if type(processed) is int
            else "events_processed / duration_seconds",
            "throughput is every event processed (matched or not) divided by the same duration you report",
        )


# --- consumer.filtering ----------------------------------------------------------------------


def check_filtering(learner: Any, streams: StreamView, events: list[dict[str, Any]], wanted_type: str | None) -> None:
    """process_event applies the filter; consume returns this call's matching events (a new
    list each call), counts every record read and only matches in events_matched."""
    name = streams.create(1)
    stored = streams.put(name, [(e["userId"], e) for e in events])
    kwargs = {"event_filter": field_equals("type", wanted_type)} if wanted_type is not None else {}
    script = Script()
    first = _new_consumer(script, name, SHARD0, **kwargs)
    direct = [script.call(first, "process_event", e, expect="True or False") for e in events[:3]]
    consumer = _new_consumer(script, name, SHARD0, **kwargs)
    reads = [script.call(consumer, "consume", expect="only the matching events", dry=DRY_CLOSE)]
    counters = script.attrs(consumer, "events_processed", "bytes_processed", "events_matched")
    reads.append(script.call(consumer, "consume", expect="only the matching events of this call", dry=DRY_CLOSE))
    again = script.attrs(consumer, "events_matched")
    outcome = learner.run(script)

    def matches(event: Any) -> bool:
        return wanted_type is None or event.get("type") == wanted_type

    for ref, event in zip(direct, events[:3]):
        got = outcome[ref]
        if type(got) is not bool or got != matches(event):
            raise Feedback(
                ref.label,
                f"returned {show(got)}",
                f"{matches(event)}: the event's type is {event.get('type')!r}"
                + (f" and the filter wants {wanted_type!r}" if wanted_type else " and there is no filter"),
                "process_event's answer is how consume knows whether the event matched",
            )
    matched = [r.event() for r in stored if matches(r.event())]
    for number, ref in enumerate(reads, 1):
        got_events = outcome[ref]
        called = ref.label + (" a second time on the same consumer" if number == 2 else "")
        _not_stopped(got_events, called, "consume returns the events it matched; it cannot if it never returns")
        require_type(got_events, list, called, "the returned value", "consume returns the events it matched")
        if got_events != matched:
            raise Feedback(
                called,
                f"returned {len(got_events)} event(s)",
                f"the {len(matched)} matching event(s) of this call, in order",
                "each call returns a new list of what it matched; keeping results on the object piles up earlier calls"
                if number == 2 and len(got_events) > len(matched)
                else "a filtering consumer hands on only what it was asked for",
            )
    processed = require_int(outcome[counters]["events_processed"], reads[0].label, "events_processed")
    size = require_int(outcome[counters]["bytes_processed"], reads[0].label, "bytes_processed")
    matched_count = require_int(outcome[counters]["events_matched"], reads[0].label, "events_matched")
    if (processed, matched_count) != (len(stored), len(matched)):
        raise Feedback(
            reads[0].label,
            f"counted events_processed = {processed}, events_matched = {matched_count}",
            f"events_processed = {len(stored)} (every record read) and events_matched = {len(matched)}",
            "reading and matching are different: you pay to read every event, even the ones you skip",
        )
    characters = sum(len(r.data.decode("utf-8")) for r in stored)
    if not characters <= size <= sent_bytes(stored):
        raise Feedback(
            reads[0].label,
            f"counted bytes_processed = {size}",
            f"the bytes of every record read, matched or not ({sent_bytes(stored)})",
            "the filter decides what is handed on, not what was read",
        )
    total = outcome[again]["events_matched"]
    if total != 2 * len(matched):
        raise Feedback(
            f"{reads[0].label} twice on one consumer",
            f"left events_matched at {show(total)}",
            f"{2 * len(matched)}: the counters add up over calls",
        )


# --- consumer.independence -------------------------------------------------------------------


def check_independent_consumers(
    learner: Any, streams: StreamView, consumers: int, keyed_events: list[tuple[str, Any]]
) -> None:
    """Several consumers of one shard in one program: each reads every event with its own
    counters and its own results; a later one changes nothing of an earlier one."""
    name = streams.create(1)
    streams.put(name, keyed_events)
    script = Script()
    made = [_new_consumer(script, name, SHARD0) for _ in range(consumers)]
    steps = []
    for consumer in made:
        read = script.call(consumer, "consume", dry=DRY_CLOSE)
        steps.append((read, script.observed(consumer), script.attrs(consumer, *COUNTERS)))
    final = [(script.show(read), script.attrs(consumer, *COUNTERS)) for consumer, (read, _, _) in zip(made, steps)]
    outcome = learner.run(script)
    called = f"{consumers} consumers of the same shard in one program, one consume() after the other"
    first_seen = outcome[steps[0][1]]
    if not first_seen:
        raise Feedback(
            called,
            "passed no event to the first consumer's process_event",
            f"each consumer to read all {len(keyed_events)} events",
        )

    def present(counts: dict[str, Any]) -> dict[str, Any]:  # a counter the class lacks is filtering's or throughput's
        return {k: v for k, v in counts.items() if not isinstance(v, Missing)}

    first_counts = present(outcome[steps[0][2]])
    first_result = outcome[steps[0][0]]
    for number, ((read, seen, counts), (result_now, counts_now)) in enumerate(zip(steps, final), 1):
        if outcome[seen] != first_seen:
            raise Feedback(
                called,
                f"passed {len(outcome[seen])} event(s) to consumer {number}'s process_event, {len(first_seen)} to the "
                "first's",
                "every consumer to read every event",
                "unlike a queue, reading a stream removes nothing: each consumer sees every event",
            )
        if present(outcome[counts]) != first_counts or present(outcome[counts_now]) != first_counts:
            raise Feedback(
                called,
                f"gave consumer {number} the counters {show(outcome[counts])} right after its read and "
                f"{show(outcome[counts_now])} "
                f"at the end; the first consumer had {show(first_counts)}",
                "each consumer to count its own reads, untouched by the others",
                "counters in class attributes or module variables are shared by every consumer; set them on self in "
                "__init__",
            )
        if isinstance(first_result, list) and (outcome[read] != first_result or outcome[result_now] != outcome[read]):
            raise Feedback(
                called,
                f"returned {show(outcome[read])} to consumer {number} and later showed it as "
                f"{show(outcome[result_now])}",
                f"each consumer's own list of events: {show(first_result)}",
                "a list kept in a class attribute or a module variable is shared by every consumer",
            )
