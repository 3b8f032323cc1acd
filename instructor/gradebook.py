"""The gradebook of a batch: one CSV row per submission, Markdown feedback, and manual points."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.manifest import Kind, Task
from grader.pipeline.report import number
from grader.text_safety import csv_cell, fence, markdown_text, one_line

GRADEBOOK = "gradebook.csv"
MANUAL_PREFIX = "manual:"
ANSWER_PREFIX = "answer:"


class GradebookError(ValueError):
    """A manual-points file that cannot be imported as it is."""


def auto_tasks(tasks: list[Task]) -> list[Task]:
    return [t for t in tasks if t.kind != Kind.WRITTEN]


def written_tasks(tasks: list[Task]) -> list[Task]:
    return [t for t in tasks if t.kind == Kind.WRITTEN]


def row(name: str, report: dict[str, Any] | None, error: str, tasks: list[Task]) -> dict[str, str]:
    """One gradebook row: total, points per task, status, error, and the answers to read.

    A grading whose machinery failed (status "error") is marked so and has no points at all:
    its partial score is no grade, and the next grade-all grades it again."""
    line = {"submission": name, "total": "", "max_score": "", "status": "error", "error": error}
    if report is not None:
        line["status"] = "error" if error else report["status"]
        if line["status"] != "error":
            scores = {t["id"]: t["score"] for t in report["tasks"]}
            line.update(total=number(report["score"]), max_score=number(report["max_score"]))
            line.update({t.id: number(scores.get(t.id, 0.0)) for t in auto_tasks(tasks)})
        answers = {m["id"]: m["answer"] for m in report.get("manual", [])}
        line.update({ANSWER_PREFIX + t.id: answers.get(t.id, "") for t in written_tasks(tasks)})
        line["error"] = "; ".join([*report.get("problems", []), *([error] if error else [])])
    return line


def columns(tasks: list[Task]) -> list[str]:
    """The gradebook's columns in order."""
    return (
        ["submission", "total", "max_score"]
        + [t.id for t in auto_tasks(tasks)]
        + ["status", "error"]
        + [ANSWER_PREFIX + t.id for t in written_tasks(tasks)]
    )


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Write the CSV atomically, so a spreadsheet never opens half a file.

    Every cell goes through the sanitiser: control characters made visible, and a cell a
    spreadsheet would run as a formula (=, +, -, @, tab, CR first) shown as text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in line.items()} for line in rows)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".gradebook-", suffix=".csv")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(buffer.getvalue())
    os.replace(temp, path)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


NOT_FINAL = (
    "**This grading is not final:** the grader itself failed (see the notes below), not your code. "
    "Your instructor grades it again."
)


def feedback(name: str, report: dict[str, Any] | None, error: str) -> str:
    """Markdown feedback for one learner: score, task table, each failure explained.

    Whatever came from the learner's code or files (messages, problems, errors) is in a fence
    nothing inside can close, so none of it renders as the grader's own text."""
    title = f"# Feedback: {markdown_text(one_line(name))}"
    if report is None:
        return (
            "\n".join(
                [
                    title,
                    "",
                    "Your submission could not be graded automatically:",
                    "",
                    fence(error),
                    "",
                    "Your instructor will look at it.",
                ]
            )
            + "\n"
        )
    lines = [title, ""]
    if report.get("status") == "error":
        lines += [NOT_FINAL, ""]
    lines += [
        f"**Automatic score: {number(report['score'])} / {number(report['max_score'])}**",
        "",
        "| # | Task | Points | Checks passed |",
        "|---|------|--------|---------------|",
    ]
    for task in report["tasks"]:
        scored = f"{number(task['score'])} / {number(task['max_score'])}"
        points = "graded by hand" if task["kind"] == Kind.WRITTEN else scored
        checks = f"{task['checks_passed']} / {task['checks_run']}" if task["checks_run"] else "-"
        lines.append(f"| {task['number']} | {markdown_text(one_line(task['title']))} | {points} | {checks} |")
    hints = {t["id"]: t["hint"] for t in report["tasks"]}
    failures = [t for t in report["tests"] if t["status"] != "passed"]
    if failures:
        lines += ["", "## What to fix"]
    for test in failures:
        heading = markdown_text(one_line(f"{test['task']}: {test['name']}"))
        hint = markdown_text(hints.get(test["task"], ""))
        lines += ["", f"### {heading}", "", fence(test["message"] or test["status"]), "", f"Hint: {hint}"]
    notes = [*report.get("problems", []), *([error] if error else [])]
    if notes:
        lines += ["", "Notes:", "", fence("\n".join(notes))]
    written = [m for m in report.get("manual", [])]
    if written:
        lines += [
            "",
            "## Written answers",
            "",
            "Your instructor grades these by hand: "
            + ", ".join(f"{markdown_text(m['id'])} ({m['manual_points']} points)" for m in written)
            + ".",
        ]
    return "\n".join(lines) + "\n"


def import_manual(manual_csv: Path, gradebook_path: Path, tasks: list[Task]) -> list[str]:
    """Add manual points (csv: submission, task, points) to the gradebook; return warnings."""
    written = {t.id: t for t in written_tasks(tasks)}
    header, rows = read_csv(gradebook_path)
    by_name = {r["submission"]: r for r in rows}
    points: dict[tuple[str, str], float] = {}
    with manual_csv.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        needed = {"submission", "task", "points"}
        if not needed <= set(reader.fieldnames or []):
            raise GradebookError(
                f"{manual_csv} needs the columns submission, task, points (found: {reader.fieldnames})"
            )
        for number, entry in enumerate(reader, start=2):
            name, task_id, value = entry["submission"].strip(), entry["task"].strip(), entry["points"].strip()
            where = f"{manual_csv.name} line {number}"
            if name not in by_name:
                raise GradebookError(f"{where}: no submission {name!r} in the gradebook")
            if task_id not in written:
                raise GradebookError(f"{where}: {task_id!r} is not a written question ({', '.join(written)})")
            try:
                given = float(value)
            except ValueError:
                raise GradebookError(f"{where}: points must be a number, not {value!r}") from None
            if not 0 <= given <= written[task_id].manual_points:
                raise GradebookError(f"{where}: {given:g} points is outside 0..{written[task_id].manual_points}")
            points[(name, task_id)] = given
    header, warnings = apply_manual(header, rows, points, tasks)
    write_csv(gradebook_path, header, rows)
    return warnings


def manual_points_of(rows: list[dict[str, str]], tasks: list[Task]) -> dict[tuple[str, str], float]:
    """Manual points already in gradebook rows, so a re-grade keeps them."""
    found = {}
    for line in rows:
        for task in written_tasks(tasks):
            value = _parse(line.get(MANUAL_PREFIX + task.id))
            if value is not None:
                found[(line["submission"], task.id)] = value
    return found


def apply_manual(
    header: list[str], rows: list[dict[str, str]], points: dict[tuple[str, str], float], tasks: list[Task]
) -> tuple[list[str], list[str]]:
    """Fill the manual columns and the final total of every row; return the header and warnings."""
    written = [t.id for t in written_tasks(tasks)]
    manual_columns = [MANUAL_PREFIX + t for t in written] + ["manual_total", "final_total"]
    header = [c for c in header if c not in manual_columns] + manual_columns
    warnings = []
    for line in rows:
        given = {t: points.get((line["submission"], t), _parse(line.get(MANUAL_PREFIX + t))) for t in written}
        missing = [t for t, value in given.items() if value is None]
        if missing:
            warnings.append(f"{line['submission']}: no manual points yet for {', '.join(missing)}")
        for task_id, value in given.items():
            line[MANUAL_PREFIX + task_id] = "" if value is None else number(value)
        manual_total = sum(v for v in given.values() if v is not None)
        line["manual_total"] = number(manual_total)
        line["final_total"] = number(round((_parse(line.get("total")) or 0.0) + manual_total, 2))
    return header, warnings


def _parse(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
