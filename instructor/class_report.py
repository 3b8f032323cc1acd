"""``make class-report GRADES=<dir> [ANONYMISE=1]``: what the class did, at a glance.

Writes ``<dir>/class-report.html`` (one static page), ``<dir>/class-report.json`` (every figure)
and ``<dir>/class-*.csv`` (the same figures as tables). The same grades give byte-identical
files: learners are read in name order, and "when it ran" is the newest results.json's
modification time, never the clock.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from grader.paths import ROOT
from grader.text_safety import clean_tree, one_line
from instructor import class_data, class_page, class_stats
from instructor.csv_text import csv_text, write_text

SIMILARITY_JSON = "similarity.json"
SIMILARITY_VENV = ".venv-similarity"


def grader_version(batch: class_data.Batch) -> str:
    """The version the reports name, else this project's version and a hash of its grader."""
    named = sorted(
        {str(one.report["grader_version"]) for one in batch.learners if one.report and one.report.get("grader_version")}
    )
    if named:
        return ", ".join(named)
    from instructor.batch import grader_fingerprint  # batch runs this module last: imported here, not at the top

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    return f"{version} (grader files {grader_fingerprint()[:12]}, as found when the report was made)"


def _anonymise(batch: class_data.Batch, similarity: dict[str, Any] | None, key: bytes) -> None:
    for learner in batch.learners:
        learner.name = class_data.pseudonym(key, learner.name)
    batch.learners.sort(key=lambda learner: learner.name)
    for pair in (similarity or {}).get("pairs", []):
        for side in ("first", "second"):
            if pair[side] != (similarity or {}).get("reference_name"):
                pair[side] = class_data.pseudonym(key, pair[side])


def build(
    batch: class_data.Batch, similarity: dict[str, Any] | None = None, anonymised: bool = False
) -> dict[str, Any]:
    """Every figure of the report, as a JSON-ready dict."""
    graded = [learner for learner in batch.learners if learner.graded]
    missing = [learner for learner in batch.learners if class_stats.not_submitted(learner)]
    tasks = class_stats.task_table(batch)
    totals = [math.fsum(class_stats.task_scores(learner).values()) for learner in graded]
    max_score = sum(t["max_score"] for t in class_stats.scored(tasks))
    levels: dict[str, int] = {}
    for learner in graded:
        level = str(learner.report.get("level") or "unknown")
        levels[level] = levels.get(level, 0) + 1
    return {
        "header": {
            "submissions": len(batch.learners),
            "graded": len(graded),
            "errors": len(batch.learners) - len(graded) - len(missing),
            "not_submitted": len(missing),
            "levels": dict(sorted(levels.items())),
            "grader_version": grader_version(batch),
            "ran_at": batch.ran_at,
            "ran_at_source": "the newest results.json's modification time",
            "anonymised": anonymised,
        },
        "scores": {
            "max_score": max_score,
            "summary": class_stats.summary(totals),
            "histogram": class_stats.histogram(totals, max_score),
        },
        "tasks": class_stats.per_task(graded, tasks),
        "flag_meanings": class_stats.FLAG_MEANINGS,
        "checks": class_stats.per_check(graded, tasks),
        "failures": class_stats.failure_groups(graded, tasks),
        "choices": class_stats.choice_letters(batch, graded, tasks),
        "written": class_stats.written_answers(graded, tasks),
        "attention": class_stats.attention(batch),
        "similarity": similarity,
    }


def tables(report: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every figure as CSV tables: file name -> (header, rows)."""
    head, scores = report["header"], report["scores"]
    summary_rows = [[k, v] for k, v in head.items() if k != "levels"]
    summary_rows += [[f"level {k}", v] for k, v in head["levels"].items()]
    summary_rows += [[k, v] for k, v in scores["summary"].items()] + [["max_score", scores["max_score"]]]
    result = {
        "class-summary.csv": (["figure", "value"], summary_rows),
        "class-scores.csv": (
            ["from", "to", "learners"],
            [[b["from"], b["to"], b["learners"]] for b in scores["histogram"]],
        ),
        "class-tasks.csv": (
            [
                "task",
                "number",
                "kind",
                "max_score",
                "mean",
                "facility",
                "full_marks",
                "full_share",
                "item_rest",
                "flags",
            ],
            [
                [
                    t["id"],
                    t["number"],
                    t["kind"],
                    t["max_score"],
                    t["mean"],
                    t["facility"],
                    t["full_marks"],
                    t["full_share"],
                    "undefined" if t["item_rest"] is None else t["item_rest"],
                    "; ".join(t["flags"]),
                ]
                for t in report["tasks"]
            ],
        ),
        "class-task-points.csv": (
            ["task", "points", "learners"],
            [[t["id"], d["points"], d["learners"]] for t in report["tasks"] for d in t["distribution"]],
        ),
        "class-checks.csv": (
            ["task", "check", "visibility", "scored", "passed", "run", "pass_rate"],
            [
                [c["task"], c["check"], c["visibility"], c["scored"], c["passed"], c["run"], c["pass_rate"]]
                for c in report["checks"]
            ],
        ),
        "class-failures.csv": (
            ["task", "learners", "share", "checks", "pattern", "example", "hint"],
            [
                [g["task"], g["learners"], g["share"], " ".join(g["checks"]), g["pattern"], g["example"], g["hint"]]
                for g in report["failures"]
            ],
        ),
        "class-choices.csv": (
            ["question", "answer", "learners", "is_key"],
            [
                [q["question"], letter, n, letter == q["key"]]
                for q in report["choices"]
                for letter, n in q["counts"].items()
            ],
        ),
        "class-written.csv": (
            ["question", "learner", "answer", "manual_points"],
            [
                [q["question"], a["learner"], a["answer"], "" if a["points"] is None else a["points"]]
                for q in report["written"]
                for a in q["answers"]
            ],
        ),
        "class-attention.csv": (
            ["learner", "reasons"],
            [[r["learner"], "; ".join(r["reasons"])] for r in report["attention"]],
        ),
    }
    return result


def write(grades: Path, anonymise: bool = False) -> dict[str, Any]:
    """Read ``grades`` and write the page, the JSON and the CSV files into it; return the figures."""
    batch = class_data.load(grades)
    similarity = None
    similarity_path = grades / SIMILARITY_JSON
    if similarity_path.is_file():
        similarity = json.loads(similarity_path.read_text(encoding="utf-8"))
    if anonymise:
        _anonymise(batch, similarity, class_data.salt(grades))
    report = clean_tree(build(batch, similarity, anonymise))  # learner text made safe once, for every output
    write_text(grades / "class-report.json", json.dumps(report, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    for name, (header, rows) in tables(report).items():
        write_text(grades / name, csv_text(header, rows))
    write_text(grades / "class-report.html", class_page.render(report))
    return report


def console_summary(report: dict[str, Any], stream: Any = sys.stdout) -> str:
    """A few lines for the console; bold only on a terminal and without NO_COLOR."""
    bold = stream.isatty() and "NO_COLOR" not in os.environ
    strong = (lambda text: f"\x1b[1m{text}\x1b[0m") if bold else (lambda text: text)
    head, stats = report["header"], report["scores"]["summary"]
    mean = "–" if stats["mean"] is None else f"{stats['mean']:.1f}"
    lines = [
        strong(f"{head['graded']} of {head['submissions']} graded, {head['errors']} errors; mean {mean}"),
    ]
    for task in report["tasks"]:
        if task["flags"]:
            lines.append(f"  {task['id']}: {', '.join(task['flags'])}")
    for row in report["attention"]:
        lines.append(f"  attention: {one_line(row['learner'], 60)}: {one_line('; '.join(row['reasons']), 120)}")
    return "\n".join(lines) + "\n"


def after_batch(grades: Path, submissions: Path, similarity: bool, anonymise: bool) -> None:
    """What grade-all does last: the similarity check (in its own venv), then the class report."""
    if similarity:
        python = ROOT / SIMILARITY_VENV / "bin" / "python"
        if python.is_file():
            command = [str(python), "-m", "instructor.similarity", str(grades.resolve()), str(submissions.resolve())]
            done = subprocess.run(command, cwd=ROOT, check=False)
            if done.returncode != 0:
                print(f"similarity check failed (exit code {done.returncode}); the class report goes on without it")
        else:
            print(
                f"similarity check skipped: no {SIMILARITY_VENV} (make grade-all creates it; SIMILARITY=0 turns it off)"
            )
    report = write(grades, anonymise)
    sys.stdout.write(console_summary(report))
    print(f"class report: {grades / 'class-report.html'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor.class_report", description=__doc__.splitlines()[0])
    parser.add_argument("grades", type=Path, help="the OUT folder of make grade-all")
    parser.add_argument("--anonymise", action="store_true", help="replace learner names with stable pseudonyms")
    args = parser.parse_args(argv)
    if not args.grades.is_dir():
        print(f"{args.grades}: not a folder", file=sys.stderr)
        return 2
    report = write(args.grades, args.anonymise)
    sys.stdout.write(console_summary(report))
    print(f"class report: {args.grades / 'class-report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
