"""Deterministic fault plans for the embedded Kinesis: AWS-like errors, chosen by call counts.

A plan decides, request by request, whether Kinesis fails a call (``fault``) and how a
successful answer is changed (``rewrite``). Plans count calls instead of reading clocks or
random numbers, so the same submission meets the same faults on every run and machine.
Install one around a learner run only (``installed``): the grader's own reads must see the
real stream.

botocore retries throttling and 5xx errors by itself: its default "standard" mode makes 3
tries, its "legacy" mode 5. A fault therefore reaches the learner's code only after that many
failed calls in a row; tests use runs of at least ``LEGACY_BOTOCORE_TRIES`` so it does in both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from grader.kinesis.limits import stream_of
from grader.kinesis.server import REGION, EmbeddedKinesis, Fault

# HTTP status of each error the tests inject, as AWS sends it (the most common first).
ERRORS = {
    "ProvisionedThroughputExceededException": 400,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
}
PUT_OPERATIONS = ("PutRecord", "PutRecords")
LEGACY_BOTOCORE_TRIES = 5  # the older "legacy" mode, still one setting away: the first try and 4 retries


def error_message(code: str) -> str:
    """An AWS-like message that also says the fault is on purpose."""
    text = {
        "ProvisionedThroughputExceededException": "Rate exceeded for the shard",
        "InternalFailure": "The server encountered an internal error",
        "ServiceUnavailable": "The service is unavailable, try again",
        "ResourceNotFoundException": "Stream not found (it is still CREATING)",
    }.get(code, code)
    return f"{text} (simulated by the grader)."


class Plan:
    """No faults: the base of every plan.

    A plan may also shape answers within what AWS allows while it is installed: ListShards and
    DescribeStream pages of at most ``shards_per_page`` shards, a new stream CREATING for
    ``creating_seconds`` simulated seconds (None: the embedded Kinesis's usual answers).
    """

    shards_per_page: int | None = None
    creating_seconds: float | None = None

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Return the error to send instead of calling moto, or None to serve the call."""
        return None

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Return the (possibly changed) answer of a successful call."""
        return response

    def describe(self) -> str:
        """What the plan does, in words a learner can read."""
        return "Kinesis answered normally"


@dataclass
class FailNth(Plan):
    """Fail the calls of ``operations`` whose 1-based number (counted over them all) is in ``schedule``."""

    operations: tuple[str, ...]
    schedule: frozenset[int]
    code: str
    status: int
    calls: int = field(default=0, init=False)
    failed: int = field(default=0, init=False)

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Count the call; fail it when its number is scheduled."""
        if operation not in self.operations:
            return None
        self.calls += 1
        if self.calls not in self.schedule:
            return None
        self.failed += 1
        return Fault(self.status, self.code, error_message(self.code))

    def describe(self) -> str:
        """E.g. 'Kinesis failed PutRecord/PutRecords calls 3 to 8 with ...'."""
        numbers = sorted(self.schedule)
        if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
            which = f"calls {numbers[0]} to {numbers[-1]} ({len(numbers)} in a row)"
        else:
            which = "call" + ("s " if len(numbers) > 1 else " ") + ", ".join(map(str, numbers))
        return f"Kinesis failed {'/'.join(self.operations)} {which} with {self.code} (HTTP {self.status})"


def fail_runs(operations: Sequence[str], runs: Sequence[tuple[int, int, str]]) -> Plan:
    """Fail ``length`` calls in a row from call number ``start``, for each (start, length, code)."""
    plans = [
        FailNth(tuple(operations), frozenset(range(start, start + length)), code, ERRORS[code])
        for start, length, code in runs
    ]
    return plans[0] if len(plans) == 1 else Together(plans)


@dataclass
class Together(Plan):
    """Several plans at once: each sees every call (so its counts stay right); the first fault wins."""

    plans: list[Plan]

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Ask every plan; send the first fault."""
        faults = [plan.fault(operation, request) for plan in self.plans]
        return next((f for f in faults if f is not None), None)

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Let every plan rewrite the answer in turn."""
        for plan in self.plans:
            response = plan.rewrite(operation, request, response)
        return response

    def describe(self) -> str:
        """Every plan's description."""
        return "; ".join(plan.describe() for plan in self.plans)

    @property  # type: ignore[override]
    def shards_per_page(self) -> int | None:
        return next((p.shards_per_page for p in self.plans if p.shards_per_page is not None), None)

    @property  # type: ignore[override]
    def creating_seconds(self) -> float | None:
        return next((p.creating_seconds for p in self.plans if p.creating_seconds is not None), None)


@dataclass
class Shape(Plan):
    """No faults: answers shaped as AWS may shape them (see ``Plan``)."""

    shards_per_page: int | None = None
    creating_seconds: float | None = None

    def describe(self) -> str:
        """What the learner's code met."""
        parts = []
        if self.shards_per_page is not None:
            parts.append(
                f"Kinesis listed at most {self.shards_per_page} shard(s) per page, with a NextToken for the rest"
            )
        if self.creating_seconds is not None:
            parts.append(f"a new stream stayed CREATING for {self.creating_seconds:g} simulated seconds")
        return "; ".join(parts) or "Kinesis answered normally"


@dataclass
class PartialPutRecords(Plan):
    """Fail chosen entries of PutRecords calls, as a throttled shard does: the rest are stored.

    ``schedule`` holds 1-based entry numbers counted over every PutRecords entry. A failed
    entry is taken back out of moto's shard, so it really is not stored, and its answer
    carries ErrorCode/ErrorMessage instead of a sequence number, as AWS's does.
    """

    schedule: frozenset[int]
    entries: int = field(default=0, init=False)
    failed: int = field(default=0, init=False)

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Unstore the scheduled entries and report them failed."""
        if operation != "PutRecords" or not isinstance(response.get("Records"), list):
            return response
        answers = []
        for answer in response["Records"]:
            self.entries += 1
            if self.entries in self.schedule and "SequenceNumber" in answer:
                _unstore(request, answer["ShardId"], int(answer["SequenceNumber"]))
                self.failed += 1
                answer = {
                    "ErrorCode": "ProvisionedThroughputExceededException",
                    "ErrorMessage": error_message("ProvisionedThroughputExceededException"),
                }
            answers.append(answer)
        failed = sum(1 for a in answers if "ErrorCode" in a)
        return {**response, "Records": answers, "FailedRecordCount": failed}

    def describe(self) -> str:
        """Which entries fail."""
        numbers = ", ".join(map(str, sorted(self.schedule)))
        return (
            f"Kinesis refused PutRecords entries number {numbers} (counted over all PutRecords calls) with "
            "ProvisionedThroughputExceededException"
        )


def _unstore(request: dict[str, Any], shard_id: str, sequence: int) -> None:
    """Remove a record moto has just stored (the server lock is held, so nobody has read it)."""
    from moto.kinesis.models import kinesis_backends

    name = stream_of(request)
    for account_id in list(kinesis_backends):
        backend = kinesis_backends[account_id][REGION]
        stream = backend.streams.get(name) if name else None
        if stream is not None and shard_id in stream.shards:
            stream.shards[shard_id].records.pop(sequence, None)
            return
    raise AssertionError(f"record {shard_id}/{sequence} of stream {name} not found in moto")


@dataclass
class SlowCreation(Plan):
    """A new stream stays CREATING for its first ``calls`` calls, like AWS and kinesalite.

    The embedded Kinesis already keeps every new stream CREATING for a few simulated seconds
    (``kinesis_limits.CREATING_SECONDS``), which a waiter or a pause between checks sits out.
    This plan adds a count of calls on top, so a check can also catch code that looks once,
    or that sleeps a fixed time instead of looking again.

    Counted calls are those naming the stream after CreateStream succeeded: DescribeStream
    and DescribeStreamSummary answer CREATING, while writes and reads fail with
    ResourceNotFoundException. The call after them finds the stream ACTIVE.
    """

    calls: int
    waiting: dict[str, int] = field(default_factory=dict, init=False)  # stream -> counted calls so far
    active_seen: set[str] = field(default_factory=set, init=False)

    REFUSED = ("PutRecord", "PutRecords", "GetShardIterator")
    DESCRIBED = ("DescribeStream", "DescribeStreamSummary")

    def _creating(self, operation: str, request: dict[str, Any]) -> bool:
        """Count a call naming a new stream; True while that stream is still CREATING."""
        name = stream_of(request)
        if name not in self.waiting or operation not in self.REFUSED + self.DESCRIBED:
            return False
        self.waiting[name] += 1
        if self.waiting[name] <= self.calls:
            return True
        self.active_seen.add(name)
        return False

    def fault(self, operation: str, request: dict[str, Any]) -> Fault | None:
        """Refuse writes and reads of a CREATING stream."""
        if operation in self.REFUSED and self._creating(operation, request):
            return Fault(400, "ResourceNotFoundException", error_message("ResourceNotFoundException"))
        return None

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Start the countdown on CreateStream; say CREATING while it runs."""
        name = stream_of(request)
        if operation == "CreateStream" and name:
            self.waiting[name] = 0
        elif operation in self.DESCRIBED and self._creating(operation, request):
            key = "StreamDescription" if operation == "DescribeStream" else "StreamDescriptionSummary"
            if isinstance(response.get(key), dict):
                response = {**response, key: {**response[key], "StreamStatus": "CREATING"}}
        return response

    def described_creating(self, name: str) -> int:
        """How many calls about ``name`` saw it CREATING."""
        return min(self.waiting.get(name, 0), self.calls)

    def describe(self) -> str:
        """What the learner's code met."""
        return f"a new stream stays CREATING for its first {self.calls} call(s) after create_stream, as on AWS"


@contextmanager
def installed(kinesis: EmbeddedKinesis, plan: Plan | None) -> Iterator[Plan | None]:
    """Serve with ``plan`` inside the block, and normally again after it, whatever happens."""
    if plan is None:
        yield None
        return
    rules = kinesis.rules
    usual = rules.shards_per_page, rules.creating_seconds
    with kinesis.lock:  # never swap hooks in the middle of a request
        kinesis.fault_plan, kinesis.rewriter = plan.fault, plan.rewrite
        if plan.shards_per_page is not None:
            rules.shards_per_page = plan.shards_per_page
        if plan.creating_seconds is not None:
            rules.creating_seconds = plan.creating_seconds
    try:
        yield plan
    finally:
        with kinesis.lock:
            kinesis.fault_plan, kinesis.rewriter = None, None
            rules.shards_per_page, rules.creating_seconds = usual
