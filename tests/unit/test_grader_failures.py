"""Telling the grader's failures from the learner's, and cleaning up after killed gradings.

A run whose result file is missing or empty never reached learner code (its first line is
written before the first step), and a run that ended without its last line while the grader's
temporary file system is full was cut short by the disk: both are the grader's failures, and
a check that meets one is an error, never a verdict. Folders of a grading killed outright are
removed by the next grading, never while their grading lives.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.harness.script import Script
from grader.pipeline import collect, leftovers, report
from grader.sandbox import messages, runner
from grader.sandbox.messages import Exit, RunOrder
from instructor import batch

# Locks the folder it is given, says so, and waits to be killed.
HOLDER = (
    "import pathlib, sys, time\n"
    "from grader.pipeline import leftovers\n"
    "leftovers.hold(pathlib.Path(sys.argv[1]))\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def _run(tmp_path: Path, content: bytes | None) -> RunOrder:
    result = tmp_path / "run-1.jsonl"
    if content is not None:
        result.write_bytes(content)
    return RunOrder([], str(result), str(tmp_path / "run-1.out"))


def _line(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def test_a_missing_or_empty_result_file_is_the_graders_failure(tmp_path: Path):
    missing = runner._read_result(_run(tmp_path, None), Exit(70, False), 6.0)
    assert missing.status == "grader" and "could not be read" in missing.detail
    empty = runner._read_result(_run(tmp_path, b""), Exit(0, True), 6.0)
    assert empty.status == "grader" and "wrote nothing" in empty.detail


def test_learner_endings_stay_the_learners(tmp_path: Path):
    started = _line(messages.step_started(0, "EventProducer.get_stats", "get_stats"))
    exited = runner._read_result(_run(tmp_path, started), Exit(3, False), 6.0)
    assert exited.status == "crashed" and "exited with code 3" in exited.detail
    late = runner._read_result(_run(tmp_path, started), Exit(None, True), 6.0)
    assert late.status == "timeout"


def test_a_run_cut_short_on_a_full_disk_is_the_graders_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    full = os.statvfs_result((4096, 4096, 1000, 0, 0, 1000, 0, 0, 0, 255))
    monkeypatch.setattr(runner.os, "statvfs", lambda path: full)
    started = _line(messages.step_started(0, "EventProducer.get_stats", "get_stats"))
    cut = runner._read_result(_run(tmp_path, started), Exit(0, False), 6.0)
    assert cut.status == "grader" and "no space left" in cut.detail
    done = runner._read_result(_run(tmp_path, started + _line(messages.run_done([], 0))), Exit(0, False), 6.0)
    assert done.status == "done"  # a run that finished counts whatever the disk holds now


def test_a_check_meeting_a_grader_failure_raises_no_feedback(tmp_path: Path):
    from grader.harness.outcome import run_scripts

    class Broken:
        def run_many(self, scripts, **budgets):
            return [runner.RunResult("grader", detail="the run wrote nothing to its result file")]

    with pytest.raises(runner.GraderFailure, match="wrote nothing"):
        run_scripts(Broken(), [Script()])


def test_a_check_the_grader_failed_in_makes_the_report_an_error():
    results = [
        collect.TestResult("test_a", "producer.stats", hidden=False, scored=True, status="passed"),
        collect.TestResult("test_b", "producer.stats", False, True, "error", "Tell your instructor: GraderFailure: x"),
    ]
    (problem,) = report.grader_failures(results)
    assert "failed in 1 check(s) (test_b)" in problem and "GraderFailure" in problem
    assert report.grader_failures(results[:1]) == []


def test_folders_of_a_dead_grading_are_removed_and_a_living_ones_kept(tmp_path: Path):
    living = tmp_path / "grader-living01"
    living.mkdir()
    fd = leftovers.hold(living)
    dead = tmp_path / "grader-dead0000"
    dead.mkdir()
    (dead / "learner").mkdir()
    (dead / "learner" / "big").write_bytes(b"x" * 1000)
    # A process that locks the folder and is killed, as a batch timeout kills a grading.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(dead)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert holder.stdout.readline().strip() == "held"
    assert leftovers.sweep(tmp_path) == []  # both held: nothing is removed
    holder.kill()
    holder.wait()
    holder.stdout.close()
    young = tmp_path / "grader-nolock00"
    (young / "learner").mkdir(parents=True)
    old_unlocked = tmp_path / "grader-oldlock0"  # a grading's folder from before locks, a day old
    (old_unlocked / "exercises").mkdir(parents=True)
    old_other = tmp_path / "grader-mynotes0"  # an old folder of that name that no grading made
    (old_other / "notes.txt").parent.mkdir()
    (old_other / "notes.txt").write_text("mine")
    for folder in (old_unlocked, old_other):
        os.utime(folder, (0, 0))
    other = tmp_path / "grader-my-notes"
    other.mkdir()
    assert sorted(leftovers.sweep(tmp_path)) == ["grader-dead0000", "grader-oldlock0"]
    assert living.is_dir() and young.is_dir() and other.is_dir() and old_other.is_dir() and not dead.exists()
    leftovers.release(fd)
    assert leftovers.sweep(tmp_path) == ["grader-living01"]


def _hash(submission: Path) -> str:
    return batch.content_hash(submission, "fixed")


def test_batch_hashing_reads_regular_files_inside_the_submission_only(tmp_path: Path):
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "key.txt").write_text("one")
    submission = tmp_path / "learner"
    submission.mkdir()
    (submission / "exercises").symlink_to(secret)  # a linked exercises/: its target is never read
    before = _hash(submission)
    (secret / "key.txt").write_text("two")
    assert _hash(submission) == before
    (submission / "exercises").unlink()
    exercises = submission / "exercises"
    exercises.mkdir()
    (exercises / "enhanced_producer.py").write_text("code")
    (exercises / "link.py").symlink_to(secret / "key.txt")
    (exercises / "folder").symlink_to(secret)
    os.mkfifo(exercises / "pipe")  # opening it for reading would block
    first = _hash(submission)
    (secret / "key.txt").write_text("three")
    assert _hash(submission) == first
    (exercises / "enhanced_producer.py").write_text("changed")
    assert _hash(submission) != first
    assert len(first) == len(hashlib.sha256().hexdigest())


@pytest.mark.parametrize(
    ("worker", "why"),
    [
        ("import sys; sys.exit(1)", "worker process failed (exit code 1)"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "result file could not be read"),
    ],
    ids=["worker_raised", "worker_killed_before_its_runs"],
)
def test_a_worker_that_failed_before_learner_code_ran_is_the_graders_failure(tmp_path, monkeypatch, worker, why):
    """A worker that exits with an error code failed in the grader's code (learner code never
    runs in it); one that died before forking its runs left no result file. Neither is the learner's."""
    script = tmp_path / "worker.py"
    script.write_text(worker + "\n")
    monkeypatch.setattr(runner, "ZYGOTE", script)
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    sandbox = runner.Sandbox(exercises, env={})
    try:
        (result,) = sandbox.run_many([[{"op": "import", "label": "import x", "module": "x"}]])
    finally:
        sandbox.cleanup()
    assert result.status == "grader" and why in result.detail, result
