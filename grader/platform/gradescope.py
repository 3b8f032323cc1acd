"""Gradescope, inside its container: grade one submission into Gradescope's results format.

The instructor builds ``autograder.zip`` with ``instructor.gradescope_build``; its
``run_autograder`` calls ``python -m grader.platform.gradescope run``, which grades
``$ROOT/submission`` in a child process and writes ``$ROOT/results/results.json`` in a
``finally``, so a crash still gives the learner a result that says what happened.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.pipeline.report import number
from grader.platform.classroom import run_grading
from grader.text_safety import clean_tree, fence, markdown_text


def find_exercises(submission: Path) -> Path | None:
    """The folder holding the learner's files: ``exercises/``, the top level, or one folder down."""

    def holds_work(folder: Path) -> bool:
        return folder.is_dir() and any(p.suffix in (".py", ".md") for p in folder.iterdir() if p.is_file())

    levels = [submission] + sorted(p for p in submission.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    for folder in levels:
        if holds_work(folder / "exercises"):
            return folder / "exercises"
        if holds_work(folder):
            return folder
    return None


def to_gradescope(report: dict[str, Any] | None, error: str, seconds: float) -> dict[str, Any]:
    """Gradescope's results.json: a test per check, hidden ones shown once grades are published.

    Its outputs are Markdown: what came from learner code (messages, printed output, problems)
    is in fences nothing inside can close, and every text has been through the sanitiser."""
    tests: list[dict[str, Any]] = []
    tasks = {t["id"]: t for t in report["tasks"]} if report else {}
    for test in report["tests"] if report else []:
        task = tasks.get(test["task"], {})
        output = fence(test["message"]) if test["message"] else "Passed."
        if test["status"] != "passed" and task.get("hint"):
            output += f"\n\n**Hint:** {markdown_text(task['hint'])}"
        if test["output"]:
            output += f"\n\nYour code printed:\n\n{fence(test['output'])}"
        tests.append(
            {
                "name": f"{task.get('number', '?')}. {task.get('title', test['task'])}: {test['name']}",
                "score": test["score"],
                "max_score": test["max_score"],
                "status": "passed" if test["status"] == "passed" else "failed",
                "output": output,
                "output_format": "md",
                "visibility": "after_published" if test["hidden"] else "visible",
            }
        )
    summary = []
    if report is not None:
        visible = [t for t in tests if t["visibility"] == "visible"]
        if len(visible) == len(tests):
            summary.append(f"Automatic checks: **{number(report['score'])} / {number(report['max_score'])}** points.")
        else:  # while hidden tests are hidden, so is anything that adds up their points
            got, out_of = sum(t["score"] for t in visible), sum(t["max_score"] for t in visible)
            summary.append(
                f"Visible checks: **{number(got)} / {number(out_of)}** points. "
                f"{len(tests) - len(visible)} more checks count towards your score; "
                "their results, and your total, are shown once grades are published."
            )
        written = [m["id"] for m in report.get("manual", [])]
        if written:
            summary.append(f"Written answers ({', '.join(written)}) are graded by hand.")
        if report.get("problems"):
            summary.append(fence("\n".join(report["problems"])))
    if error or report is None or report.get("status") == "error":
        message = error or ("the grader itself failed" if report else "the autograder produced no report")
        summary.append(f"The autograder could not finish; your instructor has been shown why:\n\n{fence(message)}")
        tests.append(
            {
                "name": "Autograder",
                "score": 0,
                "max_score": 0,
                "status": "failed",
                "output": fence(message),
                "output_format": "md",
                "visibility": "visible",
            }
        )
    return clean_tree(
        {
            "execution_time": int(round(seconds)),
            "output": "\n\n".join(summary),
            "output_format": "md",
            "tests": tests,
        }
    )


def run(root: Path) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json`` whatever happens."""
    started = time.monotonic()
    report: dict[str, Any] | None = None
    error = ""
    staging = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        found = find_exercises(root / "submission")
        if found is None:
            error = "no exercise files found in the submission (upload exercises/ or its files)"
        else:
            shutil.copytree(found, staging / "exercises", symlinks=True)
            report, error = run_grading(staging)
    except BaseException as crash:  # noqa: B036 -- a result must be written whatever went wrong
        error = f"the autograder failed: {type(crash).__name__}: {crash}"
    finally:
        results = to_gradescope(report, error, time.monotonic() - started)
        (root / "results").mkdir(parents=True, exist_ok=True)
        (root / "results" / "results.json").write_text(
            json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        shutil.rmtree(staging, ignore_errors=True)
    print(results["output"])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``run [--root DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m grader.platform.gradescope", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_command = commands.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    run_command.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    return run(args.root)


if __name__ == "__main__":
    sys.exit(main())
