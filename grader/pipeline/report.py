"""Reports: results.json for machines and a per-task table with explanations for people."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.pipeline.collect import TestResult
from grader.pipeline.scoring import Scores
from grader.text_safety import clean, clean_tree

MARK = {"passed": "✓", "partial": "◐", "failed": "✗", "pending": "…", "manual": "✎"}


def build(
    scores: Scores,
    results: list[TestResult],
    written: list[dict[str, Any]],
    hidden_present: bool,
    problems: list[str],
    sandbox: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict (the format of results.json); every text in it has been
    through the sanitiser (``grader.text_safety``), so it is safe to encode, print and store."""
    tests = []
    for r in results:
        score, max_score = scores.test_scores.get(id(r), (0.0, 0.0))
        tests.append(
            {
                "name": r.name,
                "task": r.task,
                "status": r.status,
                "score": score,
                "max_score": max_score,
                "message": r.message,
                "output": r.output,
                "hidden": r.hidden,
                "scored": r.scored,
                "duration": round(r.duration, 3),
            }
        )
    full = scores.score >= scores.max_score and not problems
    return clean_tree(
        {
            "version": 1,
            "status": "error" if problems else ("pass" if full else "fail"),
            "score": scores.score,
            "max_score": scores.max_score,
            "hidden_tests": "included" if hidden_present else "absent",
            "tasks": [
                {
                    "id": t.task.id,
                    "number": t.task.number,
                    "title": t.task.title,
                    "kind": t.task.kind,
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": t.status,
                    "checks_passed": t.passed,
                    "checks_run": t.total,
                    "hidden_checks_pending": t.task.hidden_checks if t.status == "pending" or not hidden_present else 0,
                    "hint": t.task.hint,
                }
                for t in scores.tasks
            ],
            "tests": tests,
            "manual": written,
            "problems": problems,
            "sandbox": sandbox or {},
        }
    )


def grader_failures(results: list[TestResult]) -> list[str]:
    """The report's problem when the grader itself failed in some checks ([] when it did not).

    A check's verdict is "error" only when the grader failed in it (an exception other than
    the learner's ``Feedback``: no space left, a result file it could not create or read, a
    bug), or when it never ran at all. Such a grading is an error, never a score.
    """
    failed = [r for r in results if r.status == "error"]
    if not failed:
        return []
    first = next((r.message for r in failed if r.message), "it never ran")
    names = ", ".join(r.name for r in failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
    return [f"the grader itself failed in {len(failed)} check(s) ({names}): {first}"]


def write_json(report: dict[str, Any], out_dir: Path) -> Path:
    """Write ``results.json`` atomically (a reader never sees half a file)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "results.json"
    handle, temp = tempfile.mkstemp(dir=out_dir, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as stream:
            json.dump(clean_tree(report), stream, indent=2, ensure_ascii=False)
            stream.write("\n")
        os.replace(temp, target)
    except BaseException:  # no space left, for one: leave no half file behind
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def render(report: dict[str, Any], failures_per_task: int = 1) -> str:
    """The console report: a task table, then each failure explained with its hint.

    The whole text goes through the sanitiser, whatever ``report`` was read from: nothing in it
    can reach a terminal as an escape sequence."""
    lines = ["", f" {'#':>2}  {'task':<24} {'what':<44} {'points':>11}", " " + "─" * 86]
    for task in report["tasks"]:
        mark = MARK.get(task["status"], "?")
        if task["status"] == "pending":
            points = f"{task['hidden_checks_pending']} hidden"
        elif task["status"] == "manual":
            points = "by hand"
        else:
            points = f"{number(task['score'])}/{number(task['max_score'])}"
        lines.append(f" {task['number']:>2}  {task['id']:<24} {task['title'][:44]:<44} {points:>9} {mark}")
    lines.append(" " + "─" * 86)
    pending = [t for t in report["tasks"] if t["status"] == "pending"]
    hidden_count = sum(t["hidden_checks_pending"] for t in report["tasks"])
    lines.append(
        f" Score: {number(report['score'])}/{number(report['max_score'])}{_why_maximum(report, pending, hidden_count)}"
    )
    if report["hidden_tests"] == "absent":
        lines.append(
            f" Hidden checks: {hidden_count} more checks run when your work is graded"
            + (f"; {len(pending)} task(s) are scored only then" if pending else "")
            + "."
        )
    manual = report["manual"]
    if manual:
        waiting = ", ".join(m["id"] for m in manual)
        lines.append(f" Written answers for your instructor to grade: {waiting}.")
    sandbox = report.get("sandbox") or {}
    if sandbox:
        lines.append(f" Sandbox: {sandbox.get('isolation', 'unknown')}")
        if sandbox.get("hidden_tests_skipped"):
            lines.append(f" ! {sandbox['hidden_tests_skipped']}")
    for problem in report["problems"]:
        lines.append(f" ! {problem}")
    lines.extend(_failures(report, failures_per_task))
    return clean("\n".join(lines) + "\n")


def unfinished(result: dict[str, Any]) -> str:
    """What the report still marks ✗ or ! ("" when nothing): failed tests, format checks
    without points included, tasks not at full marks, and problems."""
    failed = [t for t in result["tests"] if t["status"] != "passed"]
    short = [t for t in result["tasks"] if t["status"] in ("failed", "partial")]
    parts = []
    if failed:
        parts.append(f"{len(failed)} check{'s' if len(failed) != 1 else ''}")
    if short and not failed:
        parts.append(f"{len(short)} task{'s' if len(short) != 1 else ''}")
    if result["problems"]:
        parts.append(f"{len(result['problems'])} problem{'s' if len(result['problems']) != 1 else ''}")
    if result["status"] != "pass" and not parts:
        parts.append("the score")
    return " and ".join(parts)


def _why_maximum(report: dict[str, Any], pending: list[dict[str, Any]], hidden_count: int) -> str:
    """Why the maximum is below 100 without hidden tests: what grading adds, next to the score."""
    if report["hidden_tests"] != "absent" or not pending:
        return ""
    from grader import manifest

    points = {t.id: t.points for t in manifest.load()}
    added = sum(points.get(t["id"], 0) for t in pending)
    total = number(report["max_score"] + added)
    what = (
        "multiple-choice points"
        if {t["kind"] for t in pending} == {manifest.Kind.CHOICE}
        else "points of the tasks only hidden checks score"
    )
    return (
        f", out of {number(report['max_score'])} here: grading adds the {number(added)} {what} (out of {total}) and "
        f"{hidden_count} hidden checks"
    )


def _failures(report: dict[str, Any], per_task: int) -> list[str]:
    hints = {t["id"]: t["hint"] for t in report["tasks"]}
    lines: list[str] = []
    shown: dict[str, int] = {}
    order = {t["id"]: t["number"] for t in report["tasks"]}
    for test in sorted(report["tests"], key=lambda t: order.get(t["task"], 0)):
        if test["status"] == "passed":
            continue
        shown[test["task"]] = shown.get(test["task"], 0) + 1
        if shown[test["task"]] > per_task:
            continue
        lines += ["", f" ✗ {test['task']}: {test['name']}"]
        lines += [f"   {line}" for line in test["message"].splitlines()]
        lines.append(f"   Hint: {hints.get(test['task'], '')}")
        if test["output"]:
            lines.append("   Your code printed:")
            lines += [f"   | {line}" for line in test["output"].splitlines()[:15]]
    for manual in report["manual"]:
        if manual.get("problem"):
            lines += ["", f" ✎ {manual['id']}: {manual['problem']}"]
    return lines


def number(value: float) -> str:
    """Points as people write them: 8, 9.6, 45.47."""
    return f"{round(value, 2):g}"
