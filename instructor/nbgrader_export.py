"""nbgrader: write a course folder whose ``source/<assignment>/producers_consumers.ipynb`` is the exercise.

``python -m instructor.nbgrader_export OUT [--assignment NAME]``. The notebook holds the
reference code with nbgrader's solution markers, one autograded test cell per task (points
from the manifest; hidden parts between nbgrader's hidden-test markers), the multiple-choice
answers as code, and the written questions as manually graded Markdown cells. It needs
nothing but the standard library; running nbgrader on it needs ``make nbgrader``'s venv.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from grader import clauses, manifest
from grader.paths import ROOT
from grader.pipeline.answers import read_questions
from instructor.nbgrader_cells import CHECKS, FULL_LEVEL_CHECKS, SETUP
from instructor.release_solutions import answer_key

ASSIGNMENT = "module02"
NOTEBOOK = "producers_consumers.ipynb"
SOLUTION_FILES = ("enhanced_producer.py", "enhanced_consumer.py")
# nbgrader's markers take no task suffix: "### BEGIN SOLUTION [producer.stats]" -> "### BEGIN SOLUTION".
_TASK_SUFFIX = re.compile(r"^(\s*### BEGIN SOLUTION)\s+\[[\w.]+\]\s*$", re.MULTILINE)
_MAIN_GUARD = re.compile(r'\n+if __name__ == "__main__":\n(?:[ \t]+.*\n?)+\Z')

INTRO = """# Kinesis producers and consumers (notebook version)

Write an event producer and an event consumer for Amazon Kinesis with boto3. Everything runs
on an in-process fake of Kinesis (moto's `mock_aws`): no AWS account, no credentials.

1. Run the setup cell first.
2. Replace each `raise NotImplementedError()` in the code cells with your code.
3. After each code cell come the checks of its tasks: run them to see where you stand. More
   checks run when your notebook is graded.
4. Answer the questions at the end: a letter for the multiple-choice ones, a few sentences for
   the written ones (those are graded by hand).

Your code and the checks share this notebook's kernel: restart the kernel and run all cells
before you submit, so that what you see is what the grader will see."""


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


class Notebook:
    """Cells with nbgrader metadata, numbered as they are added."""

    def __init__(self) -> None:
        self.cells: list[dict[str, Any]] = []

    def _add(self, kind: str, source: str, grade_id: str | None, **flags: Any) -> None:
        cell: dict[str, Any] = {
            "cell_type": kind,
            "id": f"cell-{len(self.cells):03d}",
            "metadata": {},
            "source": source.strip("\n"),
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        if grade_id is not None:
            meta = {
                "grade": False,
                "grade_id": grade_id,
                "locked": False,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
            meta.update(flags)
            cell["metadata"]["nbgrader"] = meta
        self.cells.append(cell)

    def markdown(self, source: str, grade_id: str | None = None) -> None:
        """A Markdown cell; with a grade_id it is locked (learners cannot change it)."""
        self._add("markdown", source, grade_id, locked=True) if grade_id else self._add("markdown", source, None)

    def locked_code(self, source: str, grade_id: str) -> None:
        self._add("code", source, grade_id, locked=True)

    def answer_code(self, source: str, grade_id: str) -> None:
        """Code the learner writes (nbgrader's 'autograded answer')."""
        self._add("code", source, grade_id, solution=True)

    def tests(self, source: str, grade_id: str, points: float) -> None:
        """An autograded test cell."""
        self._add("code", source, grade_id, grade=True, locked=True, points=points)

    def written(self, source: str, grade_id: str, points: float) -> None:
        """A free-text answer graded by hand (nbgrader's 'manually graded answer')."""
        self._add("markdown", source, grade_id, grade=True, solution=True, points=points)

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": self.cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }


def notebook_code(path: Path) -> str:
    """A reference file for a notebook cell: nbgrader's markers, no ``__main__`` block."""
    text = _TASK_SUFFIX.sub(r"\1", path.read_text(encoding="utf-8"))
    return _MAIN_GUARD.sub("\n", text)


def _test_source(visible: str, hidden: str) -> str:
    return f"{visible.rstrip()}\n### BEGIN HIDDEN TESTS\n{hidden.rstrip()}\n### END HIDDEN TESTS\n"


def build_notebook(level: str | None = None) -> dict[str, Any]:
    """The source notebook at ``level`` (the setting by default), solutions and hidden tests included."""
    level = clauses.level_or_setting(level)
    tasks = manifest.load(level=level)
    by_id = manifest.by_id(tasks)
    book = Notebook()
    book.markdown(INTRO, "intro")
    book.locked_code(SETUP, "setup")
    for part, filename in enumerate(SOLUTION_FILES, start=1):
        prefix = filename.removeprefix("enhanced_").removesuffix(".py")
        book.markdown(f"## Part {part}: the {prefix}\n\nImplement the methods of `{filename}` below.", f"part-{part}")
        book.answer_code(notebook_code(ROOT / "solutions" / filename), f"{prefix}-code")
        for task in (t for t in tasks if t.kind == manifest.Kind.CODE and t.id.startswith(prefix + ".")):
            visible, hidden = CHECKS[task.id]
            if level == "full" and task.id in FULL_LEVEL_CHECKS:
                hidden += FULL_LEVEL_CHECKS[task.id]
            book.markdown(
                f"### Task {task.number}: {task.title} ({task.points} points)\n\nHint: {task.hint}",
                f"about-{_id(task.id)}",
            )
            book.tests(_test_source(visible, hidden), _id(task.id), task.points)
    book.markdown("## Part 3: questions", "part-3")
    key = answer_key()
    for question in read_questions((ROOT / "solutions" / "checkpoint.md").read_text(encoding="utf-8")):
        task = by_id[question.id]
        book.markdown(f"### {question.heading}\n\n{question.text}", f"question-{_id(task.id)}")
        if task.kind == manifest.Kind.CHOICE:
            name = task.id.replace(".", "_")
            letter = key[task.id]["answer"]
            book.answer_code(
                f'# The letter of your answer, e.g. "A"\n### BEGIN SOLUTION\n{name} = "{letter}"\n### END SOLUTION',
                f"answer-{_id(task.id)}",
            )
            letters = _options(question.text)
            visible = (
                f'assert isinstance({name}, str) and {name}.strip().rstrip(")").upper() in {letters!r}, '
                f'"answer with one letter: {", ".join(letters)}"\n'
            )
            hidden = f'assert {name}.strip().rstrip(")").upper() == "{letter}"\n'
            book.tests(_test_source(visible, hidden), _id(task.id), task.points)
        else:
            model = _model_answer(question.id)
            book.written(model, _id(task.id), task.manual_points)
    return book.to_json()


def _options(text: str) -> tuple[str, ...]:
    """The option letters a question lists ("A) ...", "B) ..."), A to D when it lists none."""
    from grader.pipeline.answers import _options_of

    return tuple(_options_of(list(enumerate(text.splitlines()))) or "ABCD")


def _model_answer(question_id: str) -> str:
    from grader.pipeline.answers import read_answer_sheet, read_written

    sheet = read_answer_sheet(ROOT / "solutions" / "checkpoint.md", [question_id])
    text, _ = read_written(sheet, question_id)
    return text or "YOUR ANSWER HERE"


CONFIG = """# nbgrader configuration of this course folder.
c = get_config()  # noqa: F821 -- provided by nbgrader when it reads this file
c.CourseDirectory.course_id = "kinesis-producers-consumers"
# nbgrader wants absolute folders: this file was written for the course folder where it lies.
c.CourseDirectory.root = {root!r}
# The exchange that release_assignment, fetch, submit and collect go through, inside the course
# folder (nbgrader's default, /srv/nbgrader/exchange, rarely exists on an instructor's machine).
c.Exchange.root = {exchange!r}
# A learner's loop that never ends must not stall the grading of the rest.
c.ExecutePreprocessor.timeout = 60
"""

README = """# nbgrader course folder

`source/{assignment}/{notebook}` is the exercise as one notebook: the reference code with
nbgrader's solution markers, a test cell per task (points as in the grader's manifest, hidden
checks between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`), the multiple-choice
answers as code and the written questions as manually graded cells.

Run these commands here, with the instructor venv (`make nbgrader` made it: `.venv-instructor`):

    nbgrader generate_assignment {assignment}   # release/{assignment}/: stubs, hidden checks removed
    nbgrader autograde {assignment}             # runs every notebook; hidden checks are restored
    nbgrader formgrade                          # grade the written answers by hand (or the Jupyter UI)
    nbgrader generate_feedback {assignment}
    nbgrader export                             # grades.csv

Getting the learners' notebooks in, either way:

- **Without a JupyterHub** (the simple route): put each learner's notebook at
  `submitted/<student>/{assignment}/{notebook}`, then run `autograde` as above.
- **Through the exchange** (`exchange/`, made here; `nbgrader_config.py` points to it):
  `nbgrader release_assignment {assignment}`, learners `fetch_assignment` and `submit` on the
  same machine or hub, then `nbgrader collect {assignment}` copies their work to `submitted/`.

`nbgrader_config.py` holds this folder's absolute path: run `make nbgrader OUT=...` again if
you move it.

The notebook's checks run in the same kernel as the learner's code, on moto's in-process
`mock_aws`: a learner's cell can see and change anything the checks use. The main grader
(`make grade-all`) runs learner code in a separate sandboxed process and stays the
authoritative grade; this notebook is for courses that work in Jupyter.
"""


def export(out: Path, assignment: str = ASSIGNMENT) -> Path:
    """Write the course folder and return the notebook's path."""
    target = out / "source" / assignment / NOTEBOOK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(build_notebook(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    root = out.resolve()
    (root / "exchange").mkdir(exist_ok=True)
    (root / "exchange").chmod(0o777)  # learners of a shared machine write their submissions here
    (out / "nbgrader_config.py").write_text(
        CONFIG.format(root=str(root), exchange=str(root / "exchange")), encoding="utf-8"
    )
    (out / "README.md").write_text(README.format(assignment=assignment, notebook=NOTEBOOK), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: write OUT/source/<assignment>/producers_consumers.ipynb and its config."""
    parser = argparse.ArgumentParser(prog="python -m instructor.nbgrader_export", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--assignment", default=ASSIGNMENT)
    args = parser.parse_args(argv)
    print(f"wrote {export(args.out, args.assignment)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
