"""Self-tests of the nbgrader export that need no nbgrader: the notebook's cells and metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import manifest
from instructor import nbgrader_export


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The exported source notebook."""
    path = nbgrader_export.export(tmp_path_factory.mktemp("course"))
    assert (path.parent.parent.parent / "nbgrader_config.py").is_file()
    return json.loads(path.read_text(encoding="utf-8"))


def _graded(notebook: dict) -> dict[str, dict]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]: c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    }


def test_reference_code_cells_carry_nbgrader_markers(notebook: dict) -> None:
    answers = [
        c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "code"
    ]
    code = "\n".join(c["source"] for c in answers)
    assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") >= 12
    assert "### BEGIN SOLUTION [" not in code and '__name__ == "__main__"' not in code
    for cell in answers:
        compile(cell["source"], cell["id"], "exec")


def test_a_test_cell_per_task_with_its_points_and_hidden_part(notebook: dict) -> None:
    graded = _graded(notebook)
    for task in manifest.load():
        cell = graded[task.id.replace(".", "-")]
        meta = cell["metadata"]["nbgrader"]
        if task.kind == "written":
            assert cell["cell_type"] == "markdown" and meta["solution"] and not meta["task"]
            assert meta["points"] == task.manual_points and len(cell["source"]) > 80
        else:
            assert cell["cell_type"] == "code" and meta["locked"] and meta["points"] == task.points
            assert "### BEGIN HIDDEN TESTS" in cell["source"] and "### END HIDDEN TESTS" in cell["source"]
            compile(cell["source"], task.id, "exec")
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded.values() if c["cell_type"] == "code") == 100


def test_setup_starts_moto_before_any_check(notebook: dict) -> None:
    setup = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup")
    assert "mock_aws()" in setup["source"] and ".start()" in setup["source"]
    assert notebook["cells"].index(setup) < min(notebook["cells"].index(c) for c in _graded(notebook).values())


def test_readme_says_code_and_checks_share_the_kernel(tmp_path: Path) -> None:
    nbgrader_export.export(tmp_path)
    assert "same kernel" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_config_has_absolute_folders_and_an_exchange(tmp_path: Path) -> None:
    """nbgrader warns on a relative root, and `collect` fails without an exchange folder."""
    course = tmp_path / "course"
    nbgrader_export.export(course)
    config = (course / "nbgrader_config.py").read_text(encoding="utf-8")
    assert f"c.CourseDirectory.root = {str(course.resolve())!r}" in config
    assert f"c.Exchange.root = {str(course.resolve() / 'exchange')!r}" in config
    assert (course / "exchange").is_dir()
    readme = (course / "README.md").read_text(encoding="utf-8")
    assert "nbgrader formgrade " in readme and "formgrader" not in readme.replace("the formgrader", "")
    assert f"submitted/<student>/{nbgrader_export.ASSIGNMENT}/" in readme and "nbgrader collect" in readme


def test_choice_checks_allow_the_question_own_letters(notebook: dict) -> None:
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    q3 = next(s for s in sources if s.startswith("assert isinstance(discussion_q3"))
    assert "('A', 'B', 'C')" in q3 and "'D'" not in q3.split("### BEGIN HIDDEN TESTS")[0]
