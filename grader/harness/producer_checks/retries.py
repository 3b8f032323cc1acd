"""Checks of producer.ordering's retry clauses: a failed send is retried after growing
pauses, and given up after max_attempts tries."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    run_with,
    under,
)
from grader.harness.feedback import Feedback, show
from grader.harness.producer_checks.matching import holds_event, loose_value
from grader.harness.producer_checks.ordering import require_results, verify_landed
from grader.harness.script import Script
from grader.kinesis.faults import PUT_OPERATIONS, Plan, error_message
from grader.kinesis.limits import stream_of
from grader.kinesis.server import Fault
from grader.kinesis.stream_view import StreamView

# A code of RETRYABLE_ERROR_CODES that botocore does not retry by itself (HTTP 400, not a
# throttling code it knows): every injected failure reaches the learner's code, so tries and
# waits can be counted exactly, whatever botocore's retry mode.
UNRETRIED_CODE, UNRETRIED_STATUS = "KMSThrottlingException", 400


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
        batch = script.send_batch(
            producer,
            [event],
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
        return self.doomed if holds_event(value, {"n": self.doomed}) else None

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
    batch = script.send_batch(
        producer,
        events,
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
    require_results(
        outcome[batch],
        called,
        events,
        streams.all_records(name),
        failed=frozenset({doomed}),
        one_shard=shard_count == 1,
    )
