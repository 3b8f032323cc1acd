"""Checks of producer.stats: get_stats reports the stream as Kinesis describes it now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.harness.checking import (
    PRODUCER_CLASS,
    require_type,
    run_with,
)
from grader.harness.feedback import Feedback, show
from grader.harness.script import Script
from grader.kinesis.faults import Plan
from grader.kinesis.limits import stream_of
from grader.kinesis.server import Fault
from grader.kinesis.stream_view import StreamView


@dataclass
class StreamChanges(Plan):
    """The first describe of the stream finds it UPDATING; before the second, its retention
    really changes and it is ACTIVE again (as after increase_stream_retention_period)."""

    name: str
    retention_later: int
    kinesis: Any
    describes: int = 0
    updating: bool = True  # False: the first describe finds it ACTIVE (the core level's check)

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
        if self.updating and operation in self.DESCRIBED and stream_of(request) == self.name and self.describes == 1:
            key = "StreamDescription" if operation == "DescribeStream" else "StreamDescriptionSummary"
            if isinstance(response.get(key), dict):
                response = {**response, key: {**response[key], "StreamStatus": "UPDATING"}}
        return response

    def describe(self) -> str:
        """What the learner's code met."""
        first = "UPDATING" if self.updating else "ACTIVE"
        return f"the stream was {first} at the first describe, then ACTIVE with {self.retention_later} h retention"


def _require_stats(value: Any, called: str, wanted: dict[str, Any], why: str) -> None:
    require_type(value, dict, called, "the result")
    for key, expected in wanted.items():
        got = value.get(key)
        if type(got) is not type(expected) or got != expected:
            raise Feedback(
                called, f"returned {key} = {show(got)}", f"{show(expected)}, as describe_stream says now", why
            )


def check_stats(
    learner: Any,
    streams: StreamView,
    shard_count: int,
    retention_hours: int,
    retention_later: int | None = None,
    updating: bool = True,
) -> None:
    """stats.fresh: status, shard count and retention as describe_stream gives them. With
    ``retention_later``, get_stats is called twice: first while the stream is UPDATING
    (stats.now; ACTIVE when not ``updating``), then after its retention changed."""
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
    plan = StreamChanges(name, retention_later, learner.kinesis, updating=updating)
    outcome = run_with(learner, script, plan)
    _require_stats(
        outcome[first],
        f"{first.label} while the stream was {'UPDATING' if updating else 'ACTIVE'}",
        # Not the retention: it changes at the second describe, which may come within this call.
        {"status": "UPDATING"} if updating else {"status": "ACTIVE", "shards": shard_count},
        "get_stats reports the status as it is now (a stream is not always ACTIVE), without waiting for ACTIVE"
        if updating
        else "stats must describe the real stream, read from Kinesis",
    )
    _require_stats(
        outcome[second],
        f"{second.label} again, after the stream's retention changed to {retention_later} h",
        {"status": "ACTIVE", "shards": shard_count, "retention_hours": retention_later},
        "every call asks Kinesis again: a stream is resized and reconfigured while producers run",
    )
