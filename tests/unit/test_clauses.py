"""The clause source, the level setting and the checks that name clauses, without grading anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import clauses, manifest
from instructor import clause_table

KNOWN = clauses.by_id()
CHECKS = clause_table.checks()


def test_levels_and_clause_counts():
    assert clauses.configured_level() in clauses.LEVELS
    core = [c for c in KNOWN.values() if c.level == "core"]
    assert 0 < len(core) <= clauses.CORE_LIMIT
    assert len(KNOWN) > len(core), "the full level adds clauses"
    code_tasks = {t.id for t in manifest.load() if t.kind is manifest.Kind.CODE}
    assert {c.task for c in KNOWN.values()} == code_tasks, "every code task has clauses, and only code tasks"
    assert {c.task for c in core} == code_tasks, "every code task has core clauses: its points stay at both levels"


def test_an_explicit_level_wins_and_an_unknown_one_is_refused(tmp_path: Path):
    setting = tmp_path / "level.toml"
    setting.write_text('level = "full"\n')
    assert clauses.configured_level(setting) == "full"
    assert clauses.level_or_setting("core") == "core"
    with pytest.raises(ValueError, match="unknown level"):
        clauses.level_or_setting("expert")


def test_a_test_counts_at_the_highest_level_of_its_clauses():
    assert clauses.test_level(["stream_setup.create"], KNOWN) == "core"
    assert clauses.test_level(["stream_setup.create", "stream_setup.other_creating"], KNOWN) == "full"
    assert clauses.test_level([], KNOWN) == "full", "an untagged check never costs points at core"


def test_every_check_names_known_clauses_of_its_own_task():
    for check in CHECKS:
        assert check.clauses, f"{check.label} names no clause"
        for clause_id in check.clauses:
            assert clause_id in KNOWN, f"{check.label}: unknown clause {clause_id}"
            assert KNOWN[clause_id].task == check.task, f"{check.label}: {clause_id} is not a clause of {check.task}"


def test_every_core_clause_has_a_public_check_and_every_clause_a_check():
    public = {c for check in CHECKS if not check.hidden for c in check.clauses}
    named = {c for check in CHECKS for c in check.clauses}
    assert [c.id for c in KNOWN.values() if c.level == "core" and c.id not in public] == []
    assert [c.id for c in KNOWN.values() if c.id not in named] == []


@pytest.mark.parametrize("level", clauses.LEVELS)
def test_manifest_counts_the_hidden_checks_of_each_level(level):
    hidden = [c for c in clause_table.counted_at(level, CHECKS, KNOWN) if c.hidden]
    for task in manifest.load(level=level):
        if task.kind is manifest.Kind.CODE:
            assert task.hidden_checks == sum(1 for c in hidden if c.task == task.id), f"{task.id} at {level}"


def test_a_code_task_hint_is_made_of_its_clauses_hints_at_the_level():
    core = manifest.by_id(manifest.load(level="core"))["producer.stats"].hint
    full = manifest.by_id(manifest.load(level="full"))["producer.stats"].hint
    assert "HasMoreShards" in full and "HasMoreShards" not in core
    assert core and full.startswith(core)


def test_docstrings_and_readme_are_rendered_per_level(tmp_path: Path):
    from grader.paths import ROOT
    from instructor import clause_text, stubs

    readme = (ROOT / "exercises" / "README.md").read_text(encoding="utf-8")
    core, full = clause_text.render_readme(readme, "core"), clause_text.render_readme(readme, "full")
    assert "## Going further (not graded)" in core and "## Going further" not in full
    assert "**stats.paging**" in core and "**stats.paging**" in full  # graded at full, optional at core
    reference = (ROOT / "solutions" / "enhanced_producer.py").read_text(encoding="utf-8")
    assert clause_text.GOING_FURTHER in clause_text.render_docstrings(reference, "core")
    assert clause_text.GOING_FURTHER not in clause_text.render_docstrings(reference, "full")
    # A reference whose contract block was edited by hand is reported, with what to run.
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    (solutions / "enhanced_producer.py").write_text(reference.replace("[stream_setup.create] A stream", "A stream"))
    stubs.generate(solutions, exercises, "core")
    assert stubs.outdated(solutions, exercises, "core") == []
    (solutions / "enhanced_producer.py").write_text(reference.replace("[stream_setup.create] A stream", "A stream"))
    stale = stubs.outdated(solutions, exercises, "core")
    assert stale == ["solutions/enhanced_producer.py (its contract docstrings)"]
    assert "run make stubs" in stubs.OUTDATED_MESSAGE
