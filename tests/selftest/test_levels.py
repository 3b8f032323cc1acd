"""The two levels end to end: the core release grades at most 20 clauses, and the mutants
behave as their level says: every core mistake loses points in the public checks alone (what
``make check`` runs), every full-level mistake keeps its points at the core level."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import clauses
from instructor import clause_text, release
from tests.mutants.mutants import MUTANTS
from tests.mutants.table import grade_batches, verdict

CORE_MISTAKES = [m for m in MUTANTS if m.level == "core" and not m.equivalent and not m.survives]
FULL_MISTAKES = [m for m in MUTANTS if m.level == "full"]


@pytest.mark.parametrize("level", clauses.LEVELS)
def test_a_release_grades_the_clauses_of_its_level(level: str, tmp_path: Path) -> None:
    out = tmp_path / "student"
    assert release.main(["student", str(out), "--level", level]) == 0
    graded = release.graded_clauses(out)
    assert clauses.configured_level(out / "grader" / "level.toml") == level
    readme = (out / "exercises" / "README.md").read_text(encoding="utf-8")
    stub = (out / "exercises" / "enhanced_producer.py").read_text(encoding="utf-8")
    if level == "core":
        assert len(graded) <= clauses.CORE_LIMIT
        assert "## Going further (not graded)" in readme and clause_text.GOING_FURTHER in stub
    else:
        assert len(graded) == len(clauses.load())
        assert "## Going further" not in readme and clause_text.GOING_FURTHER not in stub


@pytest.fixture(scope="module")
def at_core() -> dict[str, dict[str, dict]]:
    """The full-level mistakes graded at core with every check, and the core mistakes graded at
    core with the public checks alone: one batch of gradings for both (the longer ones first)."""
    every, public = grade_batches([(FULL_MISTAKES, "core", False), (CORE_MISTAKES, "core", True)])
    return {"public": public, "every": every}


def test_every_core_mistake_loses_points_in_the_public_checks_alone(at_core) -> None:
    reports = at_core["public"]
    missed = [m.id for m in CORE_MISTAKES if verdict(m, reports[m.id], "core")["lost"] == 0]
    assert missed == [], f"make check says 'All done' to these core mistakes: {missed}"


def test_full_level_mistakes_keep_every_point_at_the_core_level(at_core) -> None:
    reports = at_core["every"]
    costs = {m.id: verdict(m, reports[m.id], "core")["costs"] for m in FULL_MISTAKES}
    assert {k: v for k, v in costs.items() if v} == {}
