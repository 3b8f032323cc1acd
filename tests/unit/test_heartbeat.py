"""The heartbeat of make run and the experiments, on a clock of the test's own (no real time)."""

from __future__ import annotations

import io
import threading
from collections import Counter
from types import SimpleNamespace

from grader.commands.heartbeat import SILENCE_SECONDS, Heartbeat, kinesis_activity


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_after_each_silence_of_the_threshold_and_none_while_output_flows() -> None:
    clock = Clock()
    beat = Heartbeat("the producer", lambda: "waiting", stream=io.StringIO(), clock=clock)
    assert SILENCE_SECONDS < 1.0  # no step of a learner's command is silent for a second
    clock.now += SILENCE_SECONDS - 0.01
    assert beat.due() is None
    clock.now += 0.02
    assert beat.due() == f"  … the producer: {SILENCE_SECONDS + 0.01:.1f} s, still running (waiting)\n"
    assert beat.due() is None  # the line just written counts as output
    clock.now += 0.5
    beat.output("Sending 10 events...\n")
    clock.now += SILENCE_SECONDS - 0.01
    assert beat.due() is None  # the learner's line started the silence again
    clock.now += 0.02
    assert beat.due() is not None


def test_a_line_after_a_partial_line_starts_on_a_line_of_its_own() -> None:
    clock = Clock()
    beat = Heartbeat("the producer", stream=io.StringIO(), clock=clock)
    beat.output("\r[#####...............] 5/20")  # a progress bar drawn in place
    clock.now += 1.0
    line = beat.due()
    assert line is not None and line.startswith("\n  … the producer: 1.0 s, still running")


def test_the_activity_names_new_calls_and_a_stream_still_creating() -> None:
    rules = SimpleNamespace(calls=Counter(), status={}, clock=lambda header: 10.0)
    describe = kinesis_activity(SimpleNamespace(lock=threading.Lock(), rules=rules))
    assert describe() == "no Kinesis call yet: Python and boto3 are starting"
    rules.calls.update({"CreateStream": 1, "DescribeStream": 2})
    rules.status["user-activity"] = ("CREATING", 10.4)
    assert describe() == (
        "stream 'user-activity' is CREATING; Kinesis calls since the last line: DescribeStream ×2, CreateStream ×1"
    )
    rules.status["user-activity"] = ("CREATING", 9.9)  # over by now
    assert describe() == "no Kinesis call since the last line: the code is sleeping or busy"
