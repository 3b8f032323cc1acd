"""Checks of producer.ordering: send_batch keys, routes and orders every event, and returns
one result per event; ``verify_landed`` also serves the retry and concurrency checks."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    require_type,
    run_with,
    under,
)
from grader.harness.feedback import Feedback, show
from grader.harness.producer_checks.matching import which_event
from grader.harness.script import Script
from grader.kinesis.faults import Plan
from grader.kinesis.stream_view import Record, StreamView, event_identity


def require_results(
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
                "the event landed, so its result says so; after a retry that succeeded, the result is that last try's",
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
    refs = [script.send_batch(producer, batch, key_field, expect=expect) for batch in batches]
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
        require_results(
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
    unique = list({event_identity(e): e for e in events}.values())
    identity = {event_identity(e): i for i, e in enumerate(unique)}
    found = [which_event(r, unique) for r in stored]
    sent = Counter((k, identity[event_identity(e)]) for k, e in keyed_events)
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
        wanted = [identity[event_identity(e)] for k, e in keyed_events if k == key]
        if order[key] != wanted:
            positions = [wanted.index(d) + 1 for d in order[key] if d in wanted]
            raise Feedback(
                called,
                f"stored the events of key {key!r} in the order {positions} on {streams.shard_for(name, key)}",
                f"the order they were sent: {list(range(1, len(wanted) + 1))}",
                "Kinesis keeps order per shard; a consumer replaying a user's events must see them as they happened",
            )
