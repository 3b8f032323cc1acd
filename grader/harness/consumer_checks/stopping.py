"""Checks of consumer.stopping: consume returns after max_events records, or once
max_seconds have passed, polling every poll_interval meanwhile."""

from __future__ import annotations

from typing import Any

from grader.harness.checking import run_with
from grader.harness.consumer_checks.conditions import (
    DRY_STOP,
    SHARD0,
    ReadCounter,
    UnevenReads,
    new_consumer,
    require_returned,
)
from grader.harness.feedback import Feedback
from grader.harness.script import Ref, Script, field_equals
from grader.kinesis.faults import Plan
from grader.kinesis.stream_view import StreamView


def _observed(outcome: Any, ref: Ref) -> list[Any]:
    value = outcome[ref]
    return value if isinstance(value, list) else []


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
    consumer = new_consumer(
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
        require_returned(
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
    consumer = new_consumer(script, name, SHARD0, poll_interval=poll_interval)
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
