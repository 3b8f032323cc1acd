"""Checks of the producer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).

Each check names the clauses of the contract (the docstrings of ``EventProducer``) it
checks; every clause has a check that fails when only that clause is broken, and a check
of one task relies on no other task's method but the ones its task is about.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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
from grader.harness.feedback import Feedback, show
from grader.harness.script import Ref, Script, key_of
from grader.kinesis.faults import PUT_OPERATIONS, Plan, SlowCreation, error_message
from grader.kinesis.limits import stream_of
from grader.kinesis.server import Fault
from grader.kinesis.stream_view import Record, StreamView, encode_event

# A code of RETRYABLE_ERROR_CODES that botocore does not retry by itself (HTTP 400, not a
# throttling code it knows): every injected failure reaches the learner's code, so tries and
# waits can be counted exactly, whatever botocore's retry mode.
UNRETRIED_CODE, UNRETRIED_STATUS = "KMSThrottlingException", 400
DEFAULT_SHARD_COUNT = 2


def _same_event(record: Record, event: Any) -> bool:
    """Whether a record's data is the JSON of ``event`` and nothing else (send_event's clause 2)."""
    return record.event() is not None and encode_event(record.event()) == encode_event(event)


def loose_value(data: bytes) -> Any:
    """A record's data read as leniently as possible: JSON, else a Python literal (``str(dict)``)."""
    try:
        return json.loads(data)
    except ValueError:
        pass
    try:
        return ast.literal_eval(data.decode("utf-8"))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeDecodeError):
        return None


def _holds(value: Any, event: Any, depth: int = 0) -> bool:
    """Whether ``value`` is ``event``, has every field of it, or holds such a dict one level down."""
    if not isinstance(value, dict) or not isinstance(event, dict):
        return value == event and type(value) is type(event)
    if all(k in value and encode_event(value[k]) == encode_event(v) for k, v in event.items()):
        return True
    return depth == 0 and any(_holds(inner, event, 1) for inner in value.values() if isinstance(inner, dict))


def which_event(record: Record, candidates: list[Any]) -> int | None:
    """The position of the sent event a record carries, however send_event wrapped it.

    Checks of other tasks than send_event identify records this way, so a record stored in
    the wrong format (send_event's clause 2) costs points on send_event only.
    """
    value = loose_value(record.data)
    exact = encode_event(value) if value is not None else None
    for position, event in enumerate(candidates):
        if exact == encode_event(event):
            return position
    for position, event in enumerate(candidates):
        if _holds(value, event):
            return position
    return None


def _data_text(record: Record) -> str:
    return record.data.decode("utf-8", "replace")[:200]


# --- producer.stream_setup -----------------------------------------------------------------


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
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    ref = script.call(
        producer,
        "ensure_stream_exists",
        shard_count=shard_count + 1,
        expect="it to wait until the existing stream is ACTIVE, without an error",
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


# --- producer.send_event -------------------------------------------------------------------


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
        if not _same_event(record, event):
            raise Feedback(
                ref.label,
                f"stored the data {_data_text(record)!r}",
                f"the event as JSON and nothing else: {encode_event(event).decode('utf-8')!r}",
                "consumers decode each record with json.loads and expect the very event that was sent",
            )
    if len(stored) != len(keyed_events):
        raise Feedback(
            f"send_event {len(keyed_events)} time(s)",
            f"left {len(stored)} record(s) in the stream",
            f"{len(keyed_events)} record(s), one per call",
            "each call sends exactly one event",
        )


def check_send_to_missing_stream(learner: Any, streams: StreamView, events: list[Any]) -> None:
    """send_event's clause 4 (and clause 3's "a healthy stream succeeds", so that never sending scores nothing):
    send_event to a stream that does not exist returns the error instead of raising."""
    healthy = streams.create(1)
    name = streams.new_name() + "-missing"
    script = Script()
    good = script.new(PRODUCER_CLASS, healthy, name="producer")
    sent = script.call(good, "send_event", events[0], "user-1", expect=RESULT_SHAPE)
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
    for ref in refs:
        result = require_result_dict(outcome[ref], ref.label)
        if result.get("success") is not False:
            raise Feedback(
                ref.label,
                f"returned {show(result)} for a stream that does not exist",
                "{'success': False, 'error': ...}",
                "reporting success for a lost event hides data loss",
            )
        if type(result.get("error")) is not str or not result.get("error"):
            raise Feedback(
                ref.label,
                f"returned {show(result)}",
                "an 'error' entry holding the error message as a string",
                "the message tells the caller what went wrong (here: ResourceNotFoundException)",
            )


# --- producer.counters ---------------------------------------------------------------------


def _counter_values(outcome: Any, ref: Ref, called: str) -> tuple[int, int]:
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
    for counter, value in zip(("events_sent", "bytes_sent"), _counter_values(outcome, start, fresh)):
        if value != 0:
            raise Feedback(fresh, f"had {counter} = {value}", f"{counter} == 0", "a new producer has sent nothing yet")
    if ghost_counters is not None:
        ghost_called = f"other_producer.send_event(...) {failing} time(s) on a stream that does not exist"
        for counter, value in zip(
            ("events_sent", "bytes_sent"), _counter_values(outcome, ghost_counters, ghost_called)
        ):
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
        called, _counter_values(outcome, counters, called), [e for _, e in keyed_events], streams.all_records(name)
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
        script.call(producer, "send_batch", batch, key_of("userId"), expect="one result per event")
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
        got = _counter_values(outcome, ref, called)
        if got[0] != total and total > len(keyed_events) and got[0] < total:
            raise Feedback(
                called,
                f"left events_sent at {got[0]} (as if a call started again from 0)",
                f"{total}, every event this producer sent so far",
                "counters are totals over the producer's life, not over its last call",
            )
        _require_counts(called, got, events[:total], stored)


# --- producer.ordering ---------------------------------------------------------------------


def _require_results(
    results: Any,
    called: str,
    batch: list[dict[str, Any]],
    stored: list[Record],
    failed: frozenset[int] = frozenset(),
    one_shard: bool = False,
) -> None:
    """Clauses 6-7: a list of one result per event of this call; result i is for events[i].

    What a single result holds is send_event's business; here a result only has to say
    whether its event was sent. On a one-shard stream a result naming a record of the stream
    must name the record of its own event, which shows results out of order.
    """
    require_type(results, list, called, "the returned value", "send_batch returns one result per event of this call")
    if len(results) != len(batch):
        raise Feedback(
            called,
            f"returned {len(results)} result(s)",
            f"{len(batch)}, one per event of this call, in order",
            "the caller matches results to events by position; results of earlier calls do not belong here",
        )
    by_sequence = {r.sequence: r for r in stored} if one_shard else {}
    for position, result in enumerate(results):
        label = f"{called}, result number {position + 1}"
        require_type(result, dict, label, "the result", "each result is what send_event returned for that event")
        if position in failed:
            if result.get("success") is not False:
                raise Feedback(
                    label,
                    f"was {show(result)}",
                    "{'success': False, 'error': <message>}, the last try's failure",
                    "an event given up on must be reported as failed, not passed over or reported as sent",
                )
            continue
        if result.get("success") is False:
            raise Feedback(
                label,
                f"was {show(result)}",
                "the result of a send that succeeded",
                "the event landed, so its result says so",
            )
        sequence = result.get("sequence_number")
        record = by_sequence.get(int(sequence)) if type(sequence) is str and sequence.isdigit() else None
        if record is not None and which_event(record, batch) not in (position, None):
            raise Feedback(
                label,
                f"was {show(result)}, the record of event number {which_event(record, batch) + 1}, not of number "
                f"{position + 1}",
                "result i to be the result of events[i]",
                "results come back in the order of the events given, whatever order the sends took",
            )


def check_send_batch(
    learner: Any,
    streams: StreamView,
    shard_count: int,
    events: list[dict[str, Any]],
    key_field: str = "userId",
    faults: Plan | None = None,
    again: list[dict[str, Any]] | None = None,
    results: bool = False,
) -> None:
    """Clauses 1-4: the key from partition_key_fn, routed by MD5, per-key order, every event
    once, failed sends retried. With ``results``, clause 7 too: one result per event of the
    call, in order.

    With ``faults``, Kinesis fails some calls (throttling, 5xx) and send_batch must retry them.
    With ``again``, the same producer then sends a second batch (whose results are its own).
    """
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    expect = "one result per event, each with 'success': True"
    if faults is not None:
        expect += ", after retrying each failed send (pausing a little longer each time) before sending the next event"
    batches = [events] + ([again] if again else [])
    refs = [script.call(producer, "send_batch", batch, key_of(key_field), expect=expect) for batch in batches]
    outcome = run_with(learner, script, faults)
    called = under(
        refs[0].label if len(refs) == 1 else f"{refs[0].label} then a second send_batch on the same producer", faults
    )
    verify_landed(streams, name, called, [(e[key_field], e) for batch in batches for e in batch])
    if not results:
        return
    stored = streams.all_records(name)
    one_shard = len(streams.shard_ranges(name)) == 1
    for number, (batch, ref) in enumerate(zip(batches, refs), 1):
        _require_results(
            outcome[ref],
            called if len(refs) == 1 else f"{called}: call number {number}",
            batch,
            stored,
            one_shard=one_shard,
        )


def verify_landed(
    streams: StreamView, name: str, called: str, keyed_events: list[tuple[str, Any]], *, routing: bool = True
) -> None:
    """Every event landed once, with its key, on the shard MD5(key) picks, in order per key.

    Records are matched to events by content (``which_event``), so the data format is left
    to send_event's checks. Without ``routing`` (the concurrency task), only lost events
    count: keys, order and events sent twice are the ordering task's.
    """
    stored = streams.all_records(name)
    events = [e for _, e in keyed_events]
    unique = list({encode_event(e): e for e in events}.values())
    identity = {encode_event(e): i for i, e in enumerate(unique)}
    found = [which_event(r, unique) for r in stored]
    sent = Counter((k, identity[encode_event(e)]) for k, e in keyed_events)
    landed = Counter((r.key, position) for r, position in zip(stored, found))
    if not routing:
        sent = Counter(position for _, position in sent.elements())
        landed = Counter(found)
    missing, extra = sent - landed, landed - sent
    if not routing:
        extra = Counter()
    if missing or extra:
        wrong_keys = {r.key for r in stored} - {k for k, _ in keyed_events}
        if wrong_keys and routing:
            raise Feedback(
                called,
                f"wrote records with partition key(s) {show(sorted(wrong_keys))}",
                f"each event's own key from partition_key_fn, here {show(sorted({k for k, _ in keyed_events}))}",
                "the partition key picks the shard; per-user keys keep each user's events in order",
            )
        lost = sum(missing.values())
        doubled = sum(extra.values())
        raise Feedback(
            called,
            f"left {len(stored)} record(s) in the stream ({lost} event(s) missing, {doubled} extra)",
            f"exactly the {len(keyed_events)} event(s) sent, each once",
            "a stream is a log: lost or repeated events corrupt every consumer's view",
        )
    if not routing:
        return
    ranges = streams.shard_ranges(name)  # one describe_stream for all records, not one each
    for record in stored:
        expected = streams.shard_for(name, record.key, ranges)
        if record.shard_id != expected:
            raise Feedback(
                called,
                f"put key {record.key!r} on {record.shard_id}",
                f"{expected}, the shard whose hash range holds MD5({record.key!r})",
                "Kinesis routes by the partition key's hash; an ExplicitHashKey or wrong key breaks per-user placement",
            )
    order: dict[str, list[int | None]] = defaultdict(list)
    for record, position in zip(stored, found):
        order[record.key].append(position)
    for key in order:
        wanted = [identity[encode_event(e)] for k, e in keyed_events if k == key]
        if order[key] != wanted:
            positions = [wanted.index(d) + 1 for d in order[key] if d in wanted]
            raise Feedback(
                called,
                f"stored the events of key {key!r} in the order {positions} on {streams.shard_for(name, key)}",
                f"the order they were sent: {list(range(1, len(wanted) + 1))}",
                "Kinesis keeps order per shard; a consumer replaying a user's events must see them as they happened",
            )


@dataclass
class FirstPutsFail(Plan):
    """The first ``counts[stream]`` put calls naming each stream fail with a retryable code that
    botocore leaves to the learner's code; every call is counted per stream (for the clock)."""

    counts: dict[str, int]
    puts: Counter[str] = field(default_factory=Counter, init=False)
    calls: Counter[str] = field(default_factory=Counter, init=False)

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Count the call; fail it while its stream's failures last."""
        name = stream_of(request) or ""
        self.calls[name] += 1
        if operation not in PUT_OPERATIONS:
            return None
        self.puts[name] += 1
        if self.puts[name] <= self.counts.get(name, 0):
            return Fault(UNRETRIED_STATUS, UNRETRIED_CODE, error_message(UNRETRIED_CODE))
        return None

    def describe(self) -> str:
        """What the learner's code met."""
        return f"Kinesis failed the first put(s) of each stream with {UNRETRIED_CODE} (a code of RETRYABLE_ERROR_CODES)"


def check_backoff(learner: Any, streams: StreamView, events: list[dict[str, Any]]) -> None:
    """Clauses 4-5: a failed send is retried after a pause (time.sleep), and the pauses grow.

    Three producers each send one event with send_batch: the first meets no failure, the
    second one failure, the third three in a row. On the simulated clock, the second's extra
    time is its first pause; the third's must be more than three such pauses.
    """
    failures = (0, 1, 3)
    names = [streams.create(1) for _ in failures]
    plan = FirstPutsFail(dict(zip(names, failures)))
    script = Script()
    refs = []
    for name, event in zip(names, events):
        producer = script.new(PRODUCER_CLASS, name, name=f"producer of {name}")
        before = script.clock()
        batch = script.call(
            producer,
            "send_batch",
            [event],
            key_of("userId"),
            expect="it to retry a failed send, pausing before each new try, longer each time",
        )
        refs.append((before, batch, script.clock()))
    outcome = run_with(learner, script, plan)
    pauses = []
    for name, event, failed, (before, _batch, after) in zip(names, events, failures, refs):
        called = under(f"send_batch([{show(event)}], ...) meeting {failed} failure(s) in a row", plan)
        verify_landed(streams, name, called, [(event["userId"], event)])
        # Calls cost simulated time too: what remains is what the code slept.
        pauses.append(outcome[after] - outcome[before] - 0.005 * plan.calls[name])
    first = pauses[1] - pauses[0]
    three = pauses[2] - pauses[0]
    called = under("send_batch with one failed send, then with three failed sends in a row", plan)
    if first < 0.001:
        raise Feedback(
            called,
            f"tried again after {max(first, 0.0):.3f} simulated seconds",
            "a pause (time.sleep) before each new try",
            "retrying at once hits a throttled shard again while it is still busy; pausing gives it time",
        )
    if three <= 3 * first + 0.001:
        raise Feedback(
            called,
            f"paused {first:.3f} s before the first new try and {three:.3f} s in all for three",
            f"each pause longer than the one before, so more than {3 * first:.3f} s for three",
            "a shard that is still throttled after a pause needs a longer one: growing pauses (back-off) let it "
            "recover",
        )


@dataclass
class EventAlwaysFails(Plan):
    """Every put carrying the event with ``n == doomed`` fails with a retryable code (its
    PutRecords entry alone, the others being stored); tries of it are counted."""

    doomed: int
    tries: int = 0

    def _number(self, data: Any) -> Any:
        try:
            value = loose_value(base64.b64decode(data))
        except (ValueError, TypeError, binascii.Error):
            return None
        return self.doomed if _holds(value, {"n": self.doomed}) else None

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Fail a PutRecord of the doomed event."""
        if operation == "PutRecord" and self._number(request.get("Data")) == self.doomed:
            self.tries += 1
            return Fault(UNRETRIED_STATUS, UNRETRIED_CODE, error_message(UNRETRIED_CODE))
        return None

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Take the doomed event's PutRecords entry back out and report it failed."""
        if operation != "PutRecords" or not isinstance(response.get("Records"), list):
            return response
        from grader.kinesis.faults import _unstore

        answers = []
        for entry, answer in zip(request.get("Records") or [], response["Records"]):
            if (
                isinstance(entry, dict)
                and self._number(entry.get("Data")) == self.doomed
                and "SequenceNumber" in answer
            ):
                self.tries += 1
                _unstore(request, answer["ShardId"], int(answer["SequenceNumber"]))
                answer = {"ErrorCode": UNRETRIED_CODE, "ErrorMessage": error_message(UNRETRIED_CODE)}
            answers.append(answer)
        return {**response, "Records": answers, "FailedRecordCount": sum(1 for a in answers if "ErrorCode" in a)}

    def describe(self) -> str:
        """What the learner's code met."""
        return f"Kinesis refused every send of the event with n={self.doomed} with {UNRETRIED_CODE}"


def check_retries_run_out(
    learner: Any, streams: StreamView, shard_count: int, events: list[dict[str, Any]], doomed: int, max_attempts: int
) -> None:
    """Clauses 4 and 6: an event failing every try is tried exactly ``max_attempts`` times, then
    given up: its result is a failure and the batch goes on with the next events."""
    name = streams.create(shard_count)
    plan = EventAlwaysFails(events[doomed]["n"])
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    batch = script.call(
        producer,
        "send_batch",
        events,
        key_of("userId"),
        max_attempts=max_attempts,
        expect="it to give up on the failing event after max_attempts tries and go on with the others",
    )
    outcome = run_with(learner, script, plan)
    called = under(batch.label, plan)
    if plan.tries != max_attempts:
        raise Feedback(
            called,
            f"tried to send event number {doomed + 1} {plan.tries} time(s)",
            f"{max_attempts} tries, as max_attempts says",
            "max_attempts bounds the tries per event: fewer gives up too early, more never lets a stuck producer move "
            "on",
        )
    verify_landed(
        streams,
        name,
        called + f" (every event but number {doomed + 1})",
        [(e["userId"], e) for i, e in enumerate(events) if i != doomed],
    )
    _require_results(
        outcome[batch],
        called,
        events,
        streams.all_records(name),
        failed=frozenset({doomed}),
        one_shard=shard_count == 1,
    )


# --- producer.stats ------------------------------------------------------------------------


@dataclass
class StreamChanges(Plan):
    """The first describe of the stream finds it UPDATING; before the second, its retention
    really changes and it is ACTIVE again (as after increase_stream_retention_period)."""

    name: str
    retention_later: int
    kinesis: Any
    describes: int = 0

    DESCRIBED = ("DescribeStream", "DescribeStreamSummary")

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Count describes of the stream; change its retention before the second one."""
        if operation in self.DESCRIBED and stream_of(request) == self.name:
            self.describes += 1
            if self.describes == 2:
                self.kinesis.backend().streams[self.name].retention_period_hours = self.retention_later
        return None

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Say UPDATING in the first describe's answer."""
        if operation in self.DESCRIBED and stream_of(request) == self.name and self.describes == 1:
            key = "StreamDescription" if operation == "DescribeStream" else "StreamDescriptionSummary"
            if isinstance(response.get(key), dict):
                response = {**response, key: {**response[key], "StreamStatus": "UPDATING"}}
        return response

    def describe(self) -> str:
        """What the learner's code met."""
        return f"the stream was UPDATING at the first describe, then ACTIVE with {self.retention_later} h retention"


def _require_stats(value: Any, called: str, wanted: dict[str, Any], why: str) -> None:
    require_type(value, dict, called, "the result")
    for key, expected in wanted.items():
        got = value.get(key)
        if type(got) is not type(expected) or got != expected:
            raise Feedback(
                called, f"returned {key} = {show(got)}", f"{show(expected)}, as describe_stream says now", why
            )


def check_stats(
    learner: Any, streams: StreamView, shard_count: int, retention_hours: int, retention_later: int | None = None
) -> None:
    """Clauses 1-3 (and 4 with ``retention_later``): status, shard count and retention as
    describe_stream gives them. With ``retention_later``, get_stats is called twice: first
    while the stream is UPDATING, then after its retention changed."""
    name = streams.create(shard_count, retention_hours)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    expect = "{'status': ..., 'shards': ..., 'retention_hours': ...}"
    first = script.call(producer, "get_stats", expect=expect)
    plan = None
    if retention_later is None:
        outcome = learner.run(script)
        description = streams.describe(name)
        wanted = dict(
            status=description["StreamStatus"],
            shards=len(description["Shards"]),
            retention_hours=description["RetentionPeriodHours"],
        )
        _require_stats(
            outcome[first],
            first.label + f" on a stream with {shard_count} shard(s) and {retention_hours} h retention",
            wanted,
            "stats must describe the real stream, read from Kinesis",
        )
        return
    second = script.call(producer, "get_stats", expect=expect)
    plan = StreamChanges(name, retention_later, learner.kinesis)
    outcome = run_with(learner, script, plan)
    _require_stats(
        outcome[first],
        f"{first.label} while the stream was UPDATING",
        {"status": "UPDATING"},
        "get_stats reports the status as it is now (a stream is not always ACTIVE), without waiting for ACTIVE",
    )
    _require_stats(
        outcome[second],
        f"{second.label} again, after the stream's retention changed to {retention_later} h",
        {"status": "ACTIVE", "shards": shard_count, "retention_hours": retention_later},
        "every call asks Kinesis again: a stream is resized and reconfigured while producers run",
    )


# --- producer.concurrency ------------------------------------------------------------------


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
        script.call(producer, "send_batch", batch, key_of("userId"))
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
    script.call(producer, "send_batch", events[1:], key_of("userId"))


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
    together.call(producers[0], "send_batch", first[1:], key_of("userId"))
    together.call(producers[1], "send_batch", second[1:], key_of("userId"))
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
        shared = _counter_values(outcomes[0], end, called)
        own = _counter_values(outcome, lone, "the same calls on a producer alone in its program")
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
