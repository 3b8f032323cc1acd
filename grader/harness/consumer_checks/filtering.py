"""Checks of consumer.filtering: the filter decides what is handed on, never what is read
and counted."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import require_int, require_type, sent_bytes
from grader.harness.consumer_checks.conditions import DRY_CLOSE, SHARD0, new_consumer, require_returned
from grader.harness.feedback import Feedback, show
from grader.harness.script import Script, field_equals, key_of
from grader.kinesis.stream_view import StreamView


def check_filtering(
    learner: Any,
    streams: StreamView,
    events: list[dict[str, Any]],
    wanted_type: str | None,
    truthy_field: str | None = None,
) -> None:
    """process_event applies the filter; consume returns this call's matching events (a new
    list each call), counts every record read and only matches in events_matched.

    With ``truthy_field``, the filter is ``lambda e: e[truthy_field]``: it answers the field's
    value, not a bool (a filter may, as ``if`` does), and process_event still answers a bool."""
    name = streams.create(1)
    stored = streams.put(name, [(e["userId"], e) for e in events])
    if truthy_field is not None:
        kwargs: dict[str, Any] = {"event_filter": key_of(truthy_field)}
    else:
        kwargs = {"event_filter": field_equals("type", wanted_type)} if wanted_type is not None else {}
    script = Script()
    first = new_consumer(script, name, SHARD0, **kwargs)
    direct = [script.call(first, "process_event", e, expect="True or False") for e in events[:3]]
    consumer = new_consumer(script, name, SHARD0, **kwargs)
    reads = [script.call(consumer, "consume", expect="only the matching events", dry=DRY_CLOSE)]
    counters = script.attrs(consumer, "events_processed", "bytes_processed", "events_matched")
    reads.append(script.call(consumer, "consume", expect="only the matching events of this call", dry=DRY_CLOSE))
    again = script.attrs(consumer, "events_matched")
    outcome = learner.run(script)

    def matches(event: Any) -> bool:
        if truthy_field is not None:
            return bool(event.get(truthy_field))
        return wanted_type is None or event.get("type") == wanted_type

    for ref, event in zip(direct, events[:3]):
        got = outcome[ref]
        if type(got) is not bool or got != matches(event):
            if truthy_field is not None:
                why = f"the filter answered {show(event.get(truthy_field))}, which is {matches(event)} as a bool"
            else:
                why = f"the event's type is {event.get('type')!r}" + (
                    f" and the filter wants {wanted_type!r}" if wanted_type else " and there is no filter"
                )
            raise Feedback(
                ref.label,
                f"returned {show(got)}",
                f"{matches(event)}: {why}",
                "process_event's answer is how consume knows whether the event matched: a real bool, whatever "
                "type the filter answers with",
            )
    matched = [r.event() for r in stored if matches(r.event())]
    for number, ref in enumerate(reads, 1):
        got_events = outcome[ref]
        called = ref.label + (" a second time on the same consumer" if number == 2 else "")
        require_returned(got_events, called, "consume returns the events it matched; it cannot if it never returns")
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
