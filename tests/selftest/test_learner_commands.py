"""Self-tests of the learner's commands: make run/demo, the experiments, make watch, make help/hint."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader.commands import watch

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90  # seconds per command; each takes a few


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <args>`` from the project root, as the Makefile does."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def make_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """make with this interpreter and a fresh stamp, so no .venv is built for these tests."""
    stamp = tmp_path_factory.mktemp("make") / "installed"
    stamp.touch()
    return ["make", "-s", "--no-print-directory", f"PY={sys.executable}", f"STAMP={stamp}"]


def _make(make_args: list[str], *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*make_args, *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, env=env)


def test_demo_with_the_reference_shows_every_step() -> None:
    done = _python("grader.commands.run", "--code", "solutions")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Stream 'user-activity' is ACTIVE" in out
    assert len(re.findall(r"✓ \w+ -> shardId-\d+", out)) == 10  # each send with its shard
    assert "Status: ACTIVE" in out and "Shards: 2" in out and "Retention: 24 hours" in out
    assert out.count("Processing:") == 10  # every event read back
    assert "Throughput:" in out and "events/second" in out
    assert "[####################] 10/10" in done.stderr  # the progress bar, on stderr


def test_make_run_on_the_stubs_names_the_todo_without_a_traceback(make_args: list[str]) -> None:
    done = _make(make_args, "run")
    assert done.returncode != 0
    assert "Not written yet: EventProducer.ensure_stream_exists" in done.stderr
    assert "task 1 (producer.stream_setup)" in done.stderr
    assert "make hint TASK=producer.stream_setup" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_real_aws_is_never_the_default(make_args: list[str]) -> None:
    no_region = _python("grader.commands.run", "--aws")
    assert no_region.returncode == 2 and "--aws needs --region" in no_region.stderr
    shell_region = _make(make_args, "-n", "run", env={**os.environ, "AWS_REGION": "eu-west-1"})
    assert "--aws" not in shell_region.stdout  # a region in the shell's environment is ignored
    typed = _make(make_args, "-n", "run", "AWS_REGION=eu-west-1")
    assert '--aws --region "eu-west-1"' in typed.stdout


@pytest.mark.parametrize(
    ("experiment", "facts"),
    [
        (
            "producers",
            [
                "producer-1: 10/10 events in the stream ✓",
                "producer-3: 10/10 events in the stream ✓",
                "in the order it sent them: yes ✓",
                "All events from all producers appear",
            ],
        ),
        (
            "consumers",
            [
                "consumer-1: read 24 events, 24 of the 24",
                "consumer-3: read 24 events, 24 of the 24",
                "Each consumer saw every event",
            ],
        ),
        (
            "filter",
            [
                "events read:    40 (the stream holds 40) ✓",
                "events matched: 10 (add_to_cart in the stream: 10) ✓",
                "all add_to_cart: yes ✓",
            ],
        ),
    ],
)
def test_experiment_with_the_reference_shows_its_key_facts(experiment: str, facts: list[str]) -> None:
    done = _python("grader.commands.experiments", experiment, "--code", "solutions")
    assert done.returncode == 0, done.stdout + done.stderr
    for fact in facts:
        assert fact in done.stdout, fact


def test_watch_once_on_the_reference_says_all_done() -> None:
    done = _python("grader.commands.watch", "--once", "--exercises", "solutions")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Progress: 12/12 tasks done" in done.stdout
    assert "All done" in done.stdout


def test_watch_summary_shows_the_first_failing_task() -> None:
    report = {
        "status": "fail",
        "score": 8,
        "max_score": 94,
        "problems": [],
        "tasks": [
            {"id": "producer.stream_setup", "number": 1, "title": "Create or verify the stream", "status": "passed"},
            {"id": "producer.send_event", "number": 2, "title": "Send one event", "status": "failed"},
            {"id": "checkpoint.q1", "number": 13, "title": "Checkpoint 1", "status": "pending"},
        ],
        "tests": [
            {
                "name": "test_send",
                "task": "producer.send_event",
                "status": "failed",
                "message": "Called send_event.\nIt raised.",
            }
        ],
    }
    text = watch.summary(report)
    assert "Progress: 1/2 tasks done" in text
    assert "Next: task 2 (producer.send_event): Send one event" in text
    assert "It raised." in text and "make hint TASK=producer.send_event" in text
    assert "All done" not in text


def test_make_help_lists_every_target_on_one_line(make_args: list[str]) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:(?!=)", makefile, flags=re.MULTILINE)
    done = _make(make_args, "help")
    assert done.returncode == 0
    listed = [line.split()[1] for line in done.stdout.splitlines() if line.strip().startswith("make ")]
    assert sorted(listed) == sorted(set(targets))  # each target once, none missing


def test_make_hint(make_args: list[str]) -> None:
    by_id = _make(make_args, "hint", "TASK=producer.counters")
    assert by_id.returncode == 0 and "Task 4 (producer.counters): Count what was sent" in by_id.stdout
    by_number = _make(make_args, "hint", "TASK=9")
    assert by_number.returncode == 0 and "consumer.stopping" in by_number.stdout
    missing = _make(make_args, "hint")
    assert missing.returncode != 0 and "usage: make hint TASK=" in missing.stdout


def test_learner_readme_matches_the_manifest() -> None:
    from grader import manifest

    text = (ROOT / "exercises" / "README.md").read_text(encoding="utf-8")
    for task in manifest.load():
        assert f"| {task.number} | `{task.id}` | {task.title} |" in text, task.id
        if task.kind == "code":
            assert f"### Task {task.number} — `{task.id}`: {task.title}" in text, task.id


def test_check_is_not_all_done_while_a_question_is_unanswered(tmp_path: Path) -> None:
    """Complete code, empty multiple-choice answers: ✗ for the questions, no "All done", exit 1;
    the score says why it is out of 94 on a learner's machine."""
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    for name in ("enhanced_producer.py", "enhanced_consumer.py"):
        (exercises / name).write_bytes((ROOT / "solutions" / name).read_bytes())
    (exercises / "checkpoint.md").write_bytes((ROOT / "exercises" / "checkpoint.md").read_bytes())
    done = _python("grader", "check", "--exercises", str(exercises), "--public-only")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "✗ discussion.q3" in done.stdout and "All done" not in done.stdout
    assert "Not done yet: 3 checks marked ✗" in done.stdout
    score = next(line for line in done.stdout.splitlines() if line.strip().startswith("Score:"))
    assert score.strip().startswith(
        "Score: 94/94, out of 94 here: grading adds the 6 multiple-choice points (out of 100)"
    )
    assert re.search(r"and \d+ hidden checks", score)
    watched = _python("grader.commands.watch", "--once", "--exercises", str(exercises))
    assert watched.returncode == 1 and "All done" not in watched.stdout
    assert "✗ Still to answer in exercises/checkpoint.md: checkpoint.q1, checkpoint.q2, discussion.q3" in watched.stdout


def test_type_messages_use_the_right_article() -> None:
    from grader.harness.checking import require_type
    from grader.harness.feedback import Feedback

    with pytest.raises(Feedback) as wrong:
        require_type(3, str, "producer.send_event(...)", "the shard id")
    assert "(an int)" in str(wrong.value) and "to be a str" in str(wrong.value)
    with pytest.raises(Feedback) as counted:
        require_type("3", int, "producer.get_stats()", "events_sent")
    assert "(a str)" in str(counted.value) and "to be an int" in str(counted.value)


def test_lag_experiment_runs_on_the_simulated_clock_and_concludes_from_its_figures(tmp_path: Path) -> None:
    """The same figures on every run, however busy the machine; the conclusion's numbers are the
    measured ones; the charts are drawn in the terminal and as an SVG file."""
    outputs = []
    for run in (1, 2):
        svg = tmp_path / f"lag-{run}.svg"
        done = _python("grader.commands.experiments", "lag", "--code", "solutions", "--svg", str(svg))
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout.replace(str(svg), "SVG"))
    assert outputs[0] == outputs[1]
    out = outputs[0]
    polls = [
        (float(t), int(n), int(ms), int(behind))
        for t, n, ms, behind in re.findall(
            r"t=\s*([\d.]+)s\s+poll\s+\d+:\s+(\d+) records\s+MillisBehindLatest=\s*(\d+) ms\s+(\d+) events behind", out
        )
    ]
    assert len(polls) >= 5
    full = [p for p in polls if p[1] == 30]
    growth = (polls[-1][3] - full[0][3]) / (polls[-1][0] - full[0][0])
    stated = re.search(r"the gap grew by about (\d+) events every second", out)
    assert stated and abs(int(stated.group(1)) - growth) <= 2, out  # the poll lines print times to a tenth
    assert 40 <= growth <= 60  # 150 events/s in, 100 out
    sent = re.search(r"the producer sent (\d+) events \((\d+)/s\) and the consumer handled (\d+)", out)
    assert sent and int(sent.group(2)) == 150 and int(sent.group(1)) <= 450
    assert f"events behind went from {polls[0][3]} to {polls[-1][3]}" in out
    assert f"MillisBehindLatest from {polls[0][2]} ms to {polls[-1][2]} ms" in out
    assert (
        "Events behind (sent but not yet read) (events)" in out
        and "MillisBehindLatest (what Kinesis reports) (ms)" in out
    )
    svg = ElementTree.parse(tmp_path / "lag-1.svg").getroot()
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 and all(len(line.get("points", "").split()) == len(polls) for line in lines)


def test_lag_conclusion_follows_the_figures() -> None:
    """A consumer that keeps up is not told that the gap grows by 50 events a second."""
    from grader.commands import lag_experiment

    polls = [{"at": t / 10, "records": 15, "millis_behind": 0, "behind": 0} for t in range(1, 30, 3)]
    kept_up = lag_experiment.lag_conclusion(
        lag_experiment.lag_figures(
            {"polls": polls, "produced": 450, "read": 450, "seconds": 3.0, "produce_seconds": 3.0}
        )
    )
    assert "kept up" in kept_up and "grew" not in kept_up and "events behind went from 0 to 0" in kept_up
    nothing = lag_experiment.lag_conclusion(
        lag_experiment.lag_figures({"polls": [], "produced": 0, "read": 0, "seconds": 3.0, "produce_seconds": 3.0})
    )
    assert "read nothing" in nothing and "grew" not in nothing


def test_experiments_honour_endpoint_and_run_honours_code(make_args: list[str]) -> None:
    """ENDPOINT=<url> sends an experiment to another Kinesis (announced first; its stream deleted
    at the end); CODE=solutions runs the reference with `make run` too."""
    from grader.kinesis.server import EmbeddedKinesis

    other = EmbeddedKinesis().start()  # stands in for LocalStack or kinesalite
    try:
        done = _make(make_args, "experiment-filter", "CODE=solutions", f"ENDPOINT={other.endpoint_url}")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert done.stdout.startswith(f"⚠ Using the Kinesis endpoint at {other.endpoint_url}")
        assert "events matched: 10 (add_to_cart in the stream: 10) ✓" in done.stdout
        assert other.client().list_streams()["StreamNames"] == []  # made there, used, deleted
    finally:
        other.stop()
    ran = _make(make_args, "-n", "run", "CODE=solutions")
    assert "--code solutions" in ran.stdout
    assert "--code" not in _make(make_args, "-n", "run").stdout  # exercises/, the default


def test_progress_bar_is_one_line_when_not_a_terminal() -> None:
    import io

    from grader.commands.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(10, stream)
    for done in range(1, 11):
        bar.update(done)
    bar.finish()
    assert stream.getvalue() == "[####################] 10/10\n"
