"""nbgrader end to end: generate_assignment, then autograde the reference and the released notebook.

Needs the instructor venv (`make test-nbgrader`); skipped in `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")

from nbgrader.api import Gradebook  # noqa: E402

from instructor import nbgrader_export  # noqa: E402

ASSIGNMENT = nbgrader_export.ASSIGNMENT
NOTEBOOK = nbgrader_export.NOTEBOOK


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # nbgrader runs its own tools (alembic) by name: they live next to this interpreter.
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "is not absolute" not in done.stderr, done.stderr[-2000:]
    return done


def test_readme_commands_exist_and_collect_goes_through_the_exchange(tmp_path: Path) -> None:
    """Every `nbgrader <command>` the course README names is one; the exchange route works as written."""
    course = tmp_path / "course"
    nbgrader_export.export(course)
    readme = (course / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"nbgrader ([a-z_]+)", readme))
    assert {"generate_assignment", "autograde", "formgrade", "collect", "export"} <= commands
    for command in sorted(commands):
        _nbgrader(course, command, "--help")
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    _nbgrader(course, "release_assignment", ASSIGNMENT)
    learner = tmp_path / "learner"
    learner.mkdir()
    exchange = f"--Exchange.root={course.resolve() / 'exchange'}"
    course_id = "--course=kinesis-producers-consumers"
    _nbgrader(learner, "fetch_assignment", ASSIGNMENT, course_id, exchange)
    _nbgrader(learner, "submit", ASSIGNMENT, course_id, exchange)
    _nbgrader(course, "collect", ASSIGNMENT)
    collected = list((course / "submitted").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}"))
    assert len(collected) == 1, list((course / "submitted").rglob("*"))


def test_reference_gets_full_marks_and_release_gets_zero(tmp_path: Path) -> None:
    course = tmp_path / "course"
    source = nbgrader_export.export(course)
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / NOTEBOOK
    text = released.read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text and 'checkpoint_q1 = \\"C\\"' not in text
    for student, notebook in (("reference", source), ("released", released)):
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copy(notebook, target / NOTEBOOK)
    _nbgrader(course, "autograde", ASSIGNMENT, "--create")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("reference", "released"):
            notebook = gradebook.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            auto = [g for g in notebook.grades if g.cell.cell_type == "code"]
            scores[student] = (sum(g.auto_score or 0 for g in auto), sum(g.max_score for g in auto))
            written = [g for g in notebook.grades if g.cell.cell_type == "markdown"]
            assert len(written) == 3
    assert scores["reference"] == (100, 100)
    assert scores["released"] == (0, 100)
