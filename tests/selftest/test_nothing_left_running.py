"""However a grading ends, nothing it started is running when it is over.

A grading ends normally, with a part that dies while learner code runs, with an error of
the grader's own, by an interrupt, or with the grading process killed (a batch's timeout).
Each test arms ``Leftovers`` (this process becomes a child subreaper, so a process the
grading lost stays in view until someone waits for it) and asserts that the grading waited
for everything: the checks hold on a busy machine as on a quiet one, with no sleep.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from grader.paths import ROOT
from grader.pipeline import grade
from grader.sandbox import messages
from grader.sandbox.messages import TOKEN_VARIABLE
from tests.mutants.patching import REFERENCE
from tests.selftest.leftovers import Leftovers, descendants

# One check of the forked part (the producer's); none in the other.
SELECTION = ["-k", "send_event_reports_shard_and_sequence_number"]
LEARNER_CODE_STARTED_SECONDS = 300  # only a bound on a failing test: a passing one returns as soon as it can


class Injected(Exception):  # noqa: N818 - what the grader meets, as it would meet a bug of its own
    """An error of the grader's own, injected."""


def _when_the_fork_runs_learner_code(monkeypatch: pytest.MonkeyPatch, action) -> None:
    """Call ``action`` in the forked part once its worker has forked runs of learner code."""
    grader = os.getpid()
    read_pids = messages.read_pids

    def runs_started(line: str) -> list[int]:
        pids = read_pids(line)
        if os.getpid() != grader:
            action()
        return pids

    monkeypatch.setattr(messages, "read_pids", runs_started)


def _first_part_raises(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """The grading process's own part raises ``error`` once the forked part runs learner code.

    Its worker is started then, and the fork's worker runs learner code: both must be stopped.
    """
    grader = os.getpid()
    ready, tell = os.pipe()
    _when_the_fork_runs_learner_code(monkeypatch, lambda: os.write(tell, b"x"))
    run_tests = grade.run_tests

    def first_part_fails(*args, **kwargs):
        if os.getpid() != grader:
            return run_tests(*args, **kwargs)
        os.close(tell)  # a fork that died before writing ends the wait too
        os.read(ready, 1)
        os.close(ready)
        raise error

    monkeypatch.setattr(grade, "run_tests", first_part_fails)


def test_a_part_that_dies_while_learner_code_runs_leaves_nothing(monkeypatch):
    _when_the_fork_runs_learner_code(monkeypatch, lambda: os._exit(3))
    with Leftovers(monkeypatch) as leftovers:
        report = grade.grade(REFERENCE, processes=2, extra_args=SELECTION)
        left = leftovers.running()
    assert any("part 2 of the grading ended without results (exit code 3)" in p for p in report["problems"])
    assert len(leftovers.tokens) >= 2 and left == []


def test_a_grading_that_fails_inside_leaves_nothing(monkeypatch):
    _first_part_raises(monkeypatch, Injected("injected"))
    with Leftovers(monkeypatch) as leftovers:
        report = grade.grade(REFERENCE, processes=2, extra_args=SELECTION)
        left = leftovers.running()
    assert any("the autograder failed: Injected: injected" in p for p in report["problems"])
    assert report["status"] == "error" and left == []


def test_an_interrupted_grading_leaves_nothing(monkeypatch):
    _first_part_raises(monkeypatch, KeyboardInterrupt())
    with Leftovers(monkeypatch) as leftovers:
        with pytest.raises(KeyboardInterrupt):
            grade.grade(REFERENCE, processes=2, extra_args=SELECTION)
        left = leftovers.running()
    assert len(leftovers.tokens) >= 2 and left == []


@pytest.mark.parametrize(
    "stop",
    [
        "kill",  # SIGKILL to the grading process alone, as a batch's timeout does: nothing of it runs again
        "ctrl-c",  # SIGINT to its whole process group, as a terminal's Ctrl-C during `make check` does
    ],
)
def test_a_stopped_grading_process_takes_its_processes_with_it(monkeypatch, tmp_path, stop):
    submission = tmp_path / "submission"
    (submission / "exercises").mkdir(parents=True)
    for source in REFERENCE.iterdir():
        if source.is_file():
            (submission / "exercises" / source.name).write_bytes(source.read_bytes())
    with Leftovers(monkeypatch):
        grader = subprocess.Popen(
            [sys.executable, "-m", "grader", "grade", str(submission), str(tmp_path / "out")],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a terminal's foreground job has
        )
        handles = {}
        for pid in _learner_processes(grader):
            try:
                handles[pid] = os.pidfd_open(pid)  # held before the stop: each is waited for exactly
            except ProcessLookupError:
                continue
        tokens = _tokens(list(handles))
        if stop == "kill":
            grader.kill()
        else:
            os.killpg(grader.pid, signal.SIGINT)
        grader.wait(timeout=LEARNER_CODE_STARTED_SECONDS)
        try:
            still_alive = _alive_after(handles, seconds=60)
        finally:
            for handle in handles.values():
                os.close(handle)
        marked = [pid for pid in _pids() if _tokens([pid]) & tokens]
    assert tokens and still_alive == [] and marked == []


def _learner_processes(grader: subprocess.Popen) -> list[int]:
    """The grading's processes, once its workers have forked runs of learner code (workers, forks, runs)."""
    deadline = time.monotonic() + LEARNER_CODE_STARTED_SECONDS
    while time.monotonic() < deadline and grader.poll() is None:
        below = descendants(grader.pid)
        runs = [pid for pid in below if _tokens([pid]) and _tokens([_parent(pid)])]  # a worker's child
        if runs:
            return below
        time.sleep(0.05)
    pytest.fail("the grading never started learner code")


def _alive_after(handles: dict[int, int], seconds: float) -> list[int]:
    """Wait until every process of ``handles`` has ended, at most ``seconds``; those still running."""
    waiting = dict(handles)
    deadline = time.monotonic() + seconds
    while waiting and time.monotonic() < deadline:
        ready, _, _ = select.select(list(waiting.values()), [], [], deadline - time.monotonic())
        waiting = {pid: fd for pid, fd in waiting.items() if fd not in ready}
    return sorted(waiting)


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _tokens(pids: list[int]) -> set[bytes]:
    found = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                found.update(v for v in handle.read().split(b"\0") if v.startswith(TOKEN_VARIABLE.encode() + b"="))
        except OSError:
            continue
    return found
