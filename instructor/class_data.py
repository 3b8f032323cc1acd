"""What the class report reads: one record per learner of a grades folder, in a fixed order.

A grades folder is what ``make grade-all`` writes: ``<name>/results.json`` (and
``feedback.md``) per learner, and ``gradebook.csv``. Everything here is ordered by name, so
the report does not depend on the order in which the file system lists the folders.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.paths import ROOT
from instructor import gradebook

SALT_FILE = ".pseudonym-salt"
ANSWER_KEY = ROOT / "grader" / "hidden" / "answer_key.toml"


@dataclass
class Learner:
    """One submission of the batch: its report, or why there is none."""

    name: str
    report: dict[str, Any] | None
    error: str = ""
    manual: dict[str, float] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        """A report whose grading completed: an error is never a score."""
        return self.report is not None and self.report.get("status") != "error" and not self.error


@dataclass
class Batch:
    """Every learner of a grades folder, and what the folder says about the run."""

    learners: list[Learner]
    ran_at: str  # the newest results.json's modification time (UTC), "" when there is none
    answer_key: dict[str, str]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _gradebook_rows(grades: Path) -> dict[str, dict[str, str]]:
    path = grades / gradebook.GRADEBOOK
    if not path.is_file():
        return {}
    try:
        return {row["submission"]: row for row in gradebook.read_csv(path)[1] if row.get("submission")}
    except (OSError, ValueError, KeyError):
        return {}


def _manual_points(row: dict[str, str]) -> dict[str, float]:
    points = {}
    for key, value in row.items():
        if key and key.startswith(gradebook.MANUAL_PREFIX) and value not in (None, ""):
            try:
                points[key.removeprefix(gradebook.MANUAL_PREFIX)] = float(value)
            except ValueError:
                continue
    return points


def _error_of(report: dict[str, Any] | None, row: dict[str, str]) -> str:
    if report is None:
        return row.get("error") or "no readable results.json: the grading did not finish"
    if not isinstance(report.get("tasks"), list) or not isinstance(report.get("tests"), list):
        return "results.json without its tasks and tests: not a report of a completed grading"
    if report.get("status") == "error":
        problems = [str(p) for p in report.get("problems") or []]
        return "; ".join(problems) or row.get("error") or "the grading's machinery failed"
    return ""


def load(grades: Path) -> Batch:
    """Read a grades folder: every subfolder with a results.json or feedback.md is a learner."""
    rows = _gradebook_rows(grades)
    names = {p.name for p in grades.iterdir() if p.is_dir() and not p.name.startswith(".")}
    names = {n for n in names if (grades / n / "results.json").is_file() or (grades / n / "feedback.md").is_file()}
    names |= set(rows)
    learners, newest = [], 0.0
    for name in sorted(names):
        path = grades / name / "results.json"
        report = _read_json(path)
        if report is not None:
            newest = max(newest, path.stat().st_mtime)
        row = rows.get(name, {})
        learners.append(Learner(name, report, _error_of(report, row), _manual_points(row)))
    ran_at = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if newest else ""
    return Batch(learners, ran_at, answer_key())


def answer_key(path: Path = ANSWER_KEY) -> dict[str, str]:
    """Question id -> the right letter, when the hidden answer key is present (instructor's copy)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {question: entry["answer"] for question, entry in data.items() if isinstance(entry, dict)}


def salt(grades: Path) -> bytes:
    """The folder's pseudonym key, made once: pseudonyms stay the same for every report of
    this folder, yet cannot be worked out from a class list without it."""
    path = grades / SALT_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        key = secrets.token_bytes(16)
        path.write_text(key.hex() + "\n")
        return key


def pseudonym(key: bytes, name: str) -> str:
    """A stable stand-in for a learner's name."""
    return "learner-" + hmac.new(key, name.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:8]
