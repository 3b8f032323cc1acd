"""How long the class report takes for a class of 100, and how big its page gets.

``python -m instructor.class_bench`` (and ``make bench``) grades the reference and the
module-style code once, makes 100 learners of them (each task's results taken from one or the
other, chosen by a seeded draw, and a written answer of a few sentences each), then times
``class_report.write`` on that folder.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.manifest import Kind
from grader.paths import ROOT
from instructor import class_report

PAGE_TARGET_BYTES = 1_000_000
SECONDS_TARGET = 5.0
ANSWER = (
    "A consumer pulls records at its own pace, so a slow one falls behind without losing anything; "
    "the lag grows while producers write faster than it reads and shrinks when it catches up. "
)


def mixed(reports: list[dict[str, Any]], draw: random.Random) -> dict[str, Any]:
    """One learner: every task's score and checks taken from one of ``reports``."""
    chosen = {task["id"]: draw.choice(reports) for task in reports[0]["tasks"]}
    tasks = [next(t for t in chosen[task["id"]]["tasks"] if t["id"] == task["id"]) for task in reports[0]["tasks"]]
    tests = [test for task in tasks for test in chosen[task["id"]]["tests"] if test["task"] == task["id"]]
    manual = [{**entry, "answer": ANSWER * draw.randint(1, 3)} for entry in reports[0].get("manual", [])]
    score = round(sum(t["score"] for t in tasks if t["kind"] != Kind.WRITTEN), 2)
    return {**reports[0], "status": "fail", "score": score, "tasks": tasks, "tests": tests, "manual": manual}


def build_class(reports: list[dict[str, Any]], grades: Path, copies: int = 100, seed: int = 1) -> Path:
    """A grades folder of ``copies`` learners made from ``reports``."""
    draw = random.Random(seed)
    for index in range(copies):
        folder = grades / f"learner-{index:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(mixed(reports, draw)), encoding="utf-8")
    return grades


def graded(folder: Path, out: Path) -> dict[str, Any]:
    """Grade one exercises folder (laid out as a submission) with ``python -m grader grade``."""
    submission = out / "submission"
    (submission / "exercises").mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file():
            (submission / "exercises" / path.name).write_bytes(path.read_bytes())
    subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(submission), str(out)], cwd=ROOT, check=False, capture_output=True
    )
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def class_report_figure(copies: int = 100) -> dict[str, float]:
    """Seconds to write the class report of ``copies`` learners, and the page's size."""
    with tempfile.TemporaryDirectory(prefix="class-bench-") as temp:
        base = Path(temp)
        reports = [
            graded(ROOT / "solutions", base / "reference"),
            graded(ROOT / "tests" / "submissions" / "module_style" / "exercises", base / "module_style"),
        ]
        grades = build_class(reports, base / "grades", copies)
        started = time.monotonic()
        class_report.write(grades)
        seconds = time.monotonic() - started
        return {"learners": copies, "seconds": seconds, "page_bytes": (grades / "class-report.html").stat().st_size}


def describe(figure: dict[str, float]) -> tuple[str, list[str]]:
    """The line ``make bench`` prints, and the targets missed."""
    line = (
        f"class report of {figure['learners']:.0f} graded submissions: {figure['seconds']:.2f} s "
        f"(target {SECONDS_TARGET:g} s), page {figure['page_bytes'] / 1000:.0f} kB "
        f"(target {PAGE_TARGET_BYTES // 1000} kB)"
    )
    missed = []
    if figure["seconds"] > SECONDS_TARGET:
        missed.append(f"the class report took {figure['seconds']:.1f} s (target {SECONDS_TARGET:g} s)")
    if figure["page_bytes"] > PAGE_TARGET_BYTES:
        missed.append(f"the class report page is {figure['page_bytes']} bytes (target {PAGE_TARGET_BYTES})")
    return line, missed


if __name__ == "__main__":
    text, misses = describe(class_report_figure())
    print(text)
    sys.exit(1 if misses else 0)
