"""make run and the experiments never leave a learner waiting in silence.

No assertion here measures real time (the machine may be busy): each test checks the
mechanism that keeps the wait short or announced. The first line is written before moto
loads; a new stream is CREATING for a configured half second on the embedded Kinesis, and
said so; boto3's waiters check every 0.2 s there, and say so; a step that prints nothing
gets heartbeat lines from the parent. ``python -m instructor.silences -- make run`` gives
the figures on this machine as it is.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from grader.commands import run
from grader.commands.children import run_job
from grader.commands.heartbeat import Heartbeat
from grader.kinesis.server import EmbeddedKinesis

ROOT = Path(__file__).resolve().parents[2]


def test_the_commands_load_nothing_slow_before_their_first_line() -> None:
    """moto and boto3 take a second or more to import: the learner's commands import neither
    before they print (make run's first line is printed before the embedded Kinesis starts)."""
    probe = (
        "import sys, grader.commands.run, grader.commands.experiments; "
        "print([m for m in ('moto', 'boto3', 'botocore') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_embedded_kinesis_is_announced_before_it_loads_and_creates_streams_quickly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    printed_before_start: list[str] = []
    original = EmbeddedKinesis.start

    def start(self: EmbeddedKinesis) -> EmbeddedKinesis:
        printed_before_start.append(capsys.readouterr().out)
        return original(self)

    monkeypatch.setattr(EmbeddedKinesis, "start", start)
    kinesis = run.start_embedded()
    try:
        assert printed_before_start[0].startswith("Starting the embedded Kinesis")
        assert kinesis.rules.creating_seconds == run.RUN_CREATING_SECONDS <= 0.5
        assert f"A new stream is CREATING for {run.RUN_CREATING_SECONDS:g} s on it" in capsys.readouterr().out
        client = boto3.client(
            "kinesis",
            endpoint_url=kinesis.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_stream(StreamName="s", ShardCount=1)
        status, until = kinesis.rules.status["s"]  # learners still have to wait for ACTIVE, briefly
        assert status == "CREATING" and until <= kinesis.rules.clock(None) + run.RUN_CREATING_SECONDS
    finally:
        kinesis.stop()


WAITER_PROBE = """
import json, sys, time
import boto3
from botocore import waiter
from grader.commands.jobs import quicken_waiters
from grader.kinesis.server import EmbeddedKinesis

kinesis = EmbeddedKinesis().start()
kinesis.rules.creating_seconds = 0.5
client = boto3.client("kinesis", endpoint_url=kinesis.endpoint_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
pauses = []
real_sleep = time.sleep
def sleep(seconds):
    pauses.append(seconds)
    real_sleep(seconds)
waiter.time.sleep = sleep
quicken_waiters(0.2)
client.create_stream(StreamName="s", ShardCount=1)
client.get_waiter("stream_exists").wait(StreamName="s")  # boto3's default: every 10 s
client.create_stream(StreamName="t", ShardCount=1)
client.get_waiter("stream_exists").wait(StreamName="t", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
kinesis.stop()
print("PAUSES " + json.dumps(pauses))
"""


def test_boto3_waiters_check_often_on_the_embedded_kinesis_and_say_so() -> None:
    """In its own process: the waiters' patch must not reach anything else."""
    done = subprocess.run(
        [sys.executable, "-c", WAITER_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pauses = json.loads(done.stdout.split("PAUSES ", 1)[1])
    assert pauses and all(pause == 0.2 for pause in pauses), pauses  # it did wait, 0.2 s at a time
    assert done.stdout.count("boto3's waiters check every 0.2 s, not every 10 s") == 1  # said once


def test_a_silent_step_gets_heartbeat_lines(tmp_path: Path) -> None:
    """A consumer that prints nothing for 2.5 s: the parent says the step is still running."""
    (tmp_path / "enhanced_consumer.py").write_text(
        textwrap.dedent(
            """
            import time

            def main(stream_name):
                time.sleep(2.5)
                print("done")
            """
        ),
        encoding="utf-8",
    )
    lines = io.StringIO()
    env = run.embedded_environment({})
    with Heartbeat("the consumer", lambda: "waiting", stream=lines) as heartbeat:
        result = run_job(tmp_path, "consumer_main", {"stream": "s"}, env, timeout=60, heartbeat=heartbeat)
    assert result.returncode == 0, result.stderr
    beats = lines.getvalue().splitlines()
    assert beats and all(line.startswith("  … the consumer: ") for line in beats), beats
    assert beats[0].endswith("s, still running (waiting)")
