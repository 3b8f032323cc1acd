"""Checks of consumer.throughput: get_stats reports the counters, a fractional duration
and the events per second."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import require_type
from grader.harness.consumer_checks.conditions import DRY_CLOSE, SHARD0, new_consumer
from grader.harness.feedback import Feedback, show
from grader.harness.script import Script, field_equals
from grader.kinesis.stream_view import StreamView


def check_throughput(learner: Any, streams: StreamView, count: int, wanted_type: str | None = None) -> None:
    """get_stats: the counters as they are, a fractional duration from creation to the call,
    and events processed (matched or not) per second of that duration."""
    name = streams.create(1)
    types = ["search", "login"]
    streams.put(name, [("user-1", {"userId": "user-1", "type": types[i % 2], "n": i}) for i in range(count)])
    kwargs = {"event_filter": field_equals("type", wanted_type)} if wanted_type else {}
    script = Script()
    start = script.clock()
    consumer = new_consumer(script, name, SHARD0, **kwargs)
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
