"""Grading the same submission again gives the same verdict on every test, and the same score.

The reference, the module-style code and one mutant are each graded three times with the
tests where timing could leak into a verdict: stopping rules (simulated time budgets,
polling, batch limits) and the fault-injection tests (retries, backoff, slow creation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.mutants.mutants import MUTANTS
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, shared_dir
from tests.selftest.leftovers import Leftovers

MODULE_STYLE = Path(__file__).resolve().parents[1] / "submissions" / "module_style" / "exercises"
MUTANT = next(m for m in MUTANTS if m.id == "max_events_per_batch")
SELECTION = ["-k", "max_events or max_seconds or runs_dry or batches_larger or faults"]
RUNS = 3


def outcomes(report: dict[str, Any]) -> dict[str, Any]:
    """What must not change between runs: each test's verdict and message, and the scores."""
    return {
        "tests": [(t["name"], t["status"], t["message"]) for t in report["tests"]],
        "tasks": {t["id"]: t["score"] for t in report["tasks"]},
        "score": report["score"],
    }


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict[str, Any]]]:
    """Every submission's reports, ``RUNS`` of each."""
    mutant = materialize(shared_dir() / "determinism" / MUTANT.id, MUTANT.patches)
    sources = {"reference": REFERENCE, "module_style": MODULE_STYLE, "mutant": mutant}
    jobs = [Job(f"{name}.{run}", folder, True, SELECTION) for run in range(RUNS) for name, folder in sources.items()]
    graded: dict[str, list[dict[str, Any]]] = {name: [] for name in sources}
    for name, (report, _) in grade_all(jobs).items():
        graded[name.partition(".")[0]].append(report)
    return graded


@pytest.mark.parametrize("name", ["reference", "module_style", "mutant"])
def test_three_gradings_agree(runs, name):
    reports = runs[name]
    assert len(reports) == RUNS and reports[0]["tests"]
    first = outcomes(reports[0])
    for other in reports[1:]:
        assert outcomes(other) == first


def test_one_process_and_two_give_the_same_report():
    """Two grading processes (the default) and one (batch grading) agree on everything but
    timings: every test starts from an empty Kinesis, whichever tests ran before it."""
    from grader.pipeline import grade

    one = grade.grade(MODULE_STYLE, processes=1)
    two = grade.grade(MODULE_STYLE, processes=2)
    assert one["tests"] and outcomes(one) == outcomes(two)
    assert [t["name"] for t in one["tests"]] == [t["name"] for t in two["tests"]]


def test_a_part_that_dies_costs_its_tasks_and_is_reported(monkeypatch):
    """If the forked part (the producer's and the checkpoint's tests) dies, its tasks score
    nothing, the problem is in the report, the other part's points stand, and nothing is left
    running."""
    import os

    from grader.pipeline import grade, parts

    monkeypatch.setattr(parts, "_forked_part", lambda *args: os._exit(3))
    with Leftovers(monkeypatch) as leftovers:
        report = grade.grade(REFERENCE, processes=2)
        left = leftovers.running()
    assert any("part 2 of the grading ended without results (exit code 3)" in p for p in report["problems"])
    scores = {t["id"]: t["score"] for t in report["tasks"]}
    assert scores["consumer.read_shard"] > 0 and scores["producer.ordering"] == 0
    assert report["status"] == "error"
    assert leftovers.tokens and left == []
