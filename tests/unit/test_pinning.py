"""A grading's parts each keep to one CPU where the machine has one CPU per part."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from grader.pipeline import pinning
from grader.sandbox import reaping

ALLOWED = sorted(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    "allowed, parts, expected",
    [
        ({0, 1}, 2, [{0}, {1}]),
        ({3, 5}, 2, [{3}, {5}]),  # the CPUs this process may use, whichever they are
        ({0, 1, 2, 3}, 2, None),  # more CPUs than parts: two gradings at once would share a pair
        ({0}, 2, None),
        ({0, 1}, 1, None),  # one part: nothing to separate
    ],
)
def test_a_cpu_per_part_only_with_one_cpu_per_part(monkeypatch, allowed, parts, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(allowed))
    assert pinning.cpus_for(parts) == expected


@pytest.fixture()
def tree():
    """A process with a child of its own, both alive for the test."""
    code = (
        "import subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    root = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(500):
            kids = reaping.children(root.pid)
            if kids:
                break
            time.sleep(0.01)
        assert kids, "the child process did not start"
        yield root.pid, kids[0]
    finally:
        for pid in reaping.children(root.pid):
            os.kill(pid, 9)
        root.kill()
        root.wait()


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs to tell a pinned process from a free one")
def test_a_pinned_tree_keeps_every_process_and_thread_on_its_cpu(tree):
    root, child = tree
    cpu = {ALLOWED[-1]}
    pinning.pin_tree(root, cpu)
    assert os.sched_getaffinity(root) == cpu and os.sched_getaffinity(child) == cpu
    for tid in os.listdir(f"/proc/{root}/task"):
        assert os.sched_getaffinity(int(tid)) == cpu


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs to tell a pinned process from a free one")
def test_a_skipped_process_and_what_it_started_are_left_alone(tree):
    root, child = tree
    pinning.pin_tree(root, {ALLOWED[0]}, skip=frozenset({root}))
    assert os.sched_getaffinity(root) == set(ALLOWED) and os.sched_getaffinity(child) == set(ALLOWED)


def test_a_process_gone_is_no_error():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pinning.pin_tree(gone.pid, {ALLOWED[0]})  # nothing to pin, nothing raised


def _batch_affinities(tmp_path, monkeypatch, jobs):
    """The CPUs each grading of a 4-submission batch was started with, and the caller's after."""
    import io
    import threading

    from instructor import batch

    for name in "abcd":
        (tmp_path / "submissions" / name / "exercises").mkdir(parents=True)
    seen, lock = [], threading.Lock()

    def fake_grade(submission, target, timeout, level):
        with lock:
            seen.append(os.sched_getaffinity(0))  # the calling pool thread's: what a grading inherits
        time.sleep(0.05)  # long enough for the pool to start every thread
        return None, "not graded in this test"

    monkeypatch.setattr(batch, "grader_fingerprint", lambda: "fixed")
    monkeypatch.setattr(batch, "grade_one", fake_grade)
    batch.grade_all(tmp_path / "submissions", tmp_path / "out", jobs=jobs, stream=io.StringIO())
    return seen, os.sched_getaffinity(0)


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs to tell a pinned grading from a free one")
def test_a_batch_with_one_grading_per_cpu_starts_each_on_a_cpu_of_its_own(tmp_path, monkeypatch):
    seen, after = _batch_affinities(tmp_path, monkeypatch, jobs=len(ALLOWED))
    assert len(seen) == 4 and all(len(cpus) == 1 for cpus in seen)
    assert {cpu for cpus in seen for cpu in cpus} == set(ALLOWED)  # every CPU has its grading
    assert after == set(ALLOWED)  # the batch's own thread is left free


@pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs to tell a pinned grading from a free one")
def test_a_batch_with_fewer_gradings_than_cpus_leaves_them_to_the_scheduler(tmp_path, monkeypatch):
    seen, _ = _batch_affinities(tmp_path, monkeypatch, jobs=len(ALLOWED) - 1 or 1)
    assert seen and all(cpus == set(ALLOWED) for cpus in seen)
