"""On a machine with one CPU per part, each part of a grading keeps to its CPU, and the
grading process has all its CPUs back afterwards (a batch or a self-test grades again)."""

from __future__ import annotations

import os

import pytest

from grader.pipeline import grade, parts, pinning
from grader.sandbox import reaping
from tests.mutants.patching import REFERENCE


@pytest.mark.skipif(
    pinning.cpus_for(2) is None,
    reason=f"parts are pinned only with exactly 2 CPUs; this process may use {len(os.sched_getaffinity(0))}",
)
def test_the_grading_part_and_its_worker_keep_to_one_cpu_and_give_it_back(monkeypatch):
    before = os.sched_getaffinity(0)
    seen: dict[int, set[int]] = {}  # the pinned processes' CPUs, read just after the pinning
    asked: list[set[int]] = []  # the CPUs they were pinned to
    real = pinning.pin_tree

    def observed(root: int, cpus: set[int], skip: frozenset[int] = frozenset()) -> None:
        real(root, cpus, skip)
        seen.update({pid: os.sched_getaffinity(pid) for pid in [root, *reaping.descendants(root, skip)]})
        asked.append(cpus)

    monkeypatch.setattr(pinning, "pin_tree", observed)
    report = grade.grade(REFERENCE, processes=2)
    assert report["score"] == 100
    [expected] = asked
    assert len(expected) == 1 and expected == parts.pinning.cpus_for(2)[0]
    # the grading process and its worker (with pid 1 of the worker's namespace, where it has one)
    assert len(seen) >= 2 and all(cpus == expected for cpus in seen.values())
    threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    assert all(os.sched_getaffinity(tid) == before for tid in threads)
