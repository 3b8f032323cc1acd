"""Correct solutions written in other styles than the reference get full marks.

Each folder of tests/submissions/alternatives/ holds the module(s) written differently; the
rest of the submission is the reference's. It is graded with the tests of the modules it
changes (hidden and fault tests included), and every task of those modules must score full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import clauses, manifest
from tests.mutants.mutants import selection
from tests.mutants.patching import Job, grade_all, materialize, shared_dir, task_scores

ALTERNATIVES = Path(__file__).resolve().parents[1] / "submissions" / "alternatives"
NAMES = sorted(p.name for p in ALTERNATIVES.iterdir() if (p / "exercises").is_dir())
MODULES = {"enhanced_producer.py": "producer", "enhanced_consumer.py": "consumer"}


def _modules(name: str) -> list[str]:
    return sorted(MODULES[f.name] for f in (ALTERNATIVES / name / "exercises").iterdir() if f.name in MODULES)


def _jobs() -> list[Job]:
    jobs = []
    for name in NAMES:
        folder = shared_dir() / "alternatives" / name
        exercises = materialize(folder, overlay=ALTERNATIVES / name)
        modules = _modules(name)
        extra = [] if len(modules) == 2 else selection(modules[0])
        jobs += [Job(f"{name}@{level}", exercises, True, extra, level=level) for level in clauses.LEVELS]
    return jobs


@pytest.fixture(scope="module")
def results():
    """Each alternative graded once."""
    return grade_all(_jobs(), reuse=True)


def test_there_are_four_styles():
    assert {"batching", "injected_client", "module_client", "generator_consumer"} <= set(NAMES)


@pytest.mark.parametrize("level", clauses.LEVELS)
@pytest.mark.parametrize("name", NAMES)
def test_alternative_gets_full_marks(results, name, level):
    report, _ = results[f"{name}@{level}"]
    points = {t.id: t.points for t in manifest.load()}
    got = task_scores(report)
    for module in _modules(name):
        for task, full in points.items():
            if task.startswith(module + "."):
                failures = [t["message"] for t in report["tests"] if t["task"] == task and t["status"] != "passed"]
                assert got[task] == full, (task, failures[:1])
    assert report["problems"] == []
