"""Who gets which grade: the gradebook's rows read as learners with a score, and the roster
column that names them.

A learner is known by the name of their submission folder. A GitHub Classroom grades CSV can
add what the LMS knows them by: the roster identifier and the GitHub user name of the row
whose repository (or user name) is that folder's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader import manifest
from grader.text_safety import csv_cell
from instructor import gradebook
from instructor.lms import rawcsv

# The columns of GitHub Classroom's grades CSV that name a learner, most specific first.
CLASSROOM_IDS = ("roster_identifier", "github_username", "student_repository_name")
NOT_SUBMITTED = "not submitted"


class ExportError(ValueError):
    """An export that cannot be written as asked (the message says what to change)."""


@dataclass
class Learner:
    """One gradebook row: its folder name, the names an LMS may know it by, and its grade."""

    name: str
    keys: list[str]
    score: str | None  # None: no grade to export (the grading failed)
    reason: str = ""  # why there is no score
    summary: str = ""  # one line of feedback
    matched: bool = field(default=False)


def score_column(header: list[str]) -> str:
    """The gradebook column that holds the grade to export: the score after the late policy,
    else the total with manual points, else the automatic total."""
    for name in ("final_score", "final_total", "total"):
        if name in header:
            return name
    raise ExportError("the gradebook has no total column: is it a gradebook.csv of make grade-all?")


def points_possible(header: list[str], rows: list[dict[str, str]]) -> float:
    """What the exported grade is out of: the automatic maximum, plus the hand-graded points
    when the grade includes them."""
    automatic = max((float(r["max_score"]) for r in rows if r.get("max_score")), default=0.0)
    if automatic == 0.0:
        automatic = float(sum(t.points for t in gradebook.auto_tasks(manifest.load())))
    if "final_total" not in header:  # the grade has no hand-graded part
        return automatic
    return automatic + sum(t.manual_points for t in gradebook.written_tasks(manifest.load()))


def read_grades(grades: Path) -> tuple[list[dict[str, str]], str, float]:
    """The rows of GRADES/gradebook.csv, the column to export and the points possible."""
    path = grades / gradebook.GRADEBOOK
    if not path.is_file():
        raise ExportError(f"no {path}: run make grade-all first")
    header, rows = gradebook.read_csv(path)
    return rows, score_column(header), points_possible(header, rows)


def learners_of(rows: list[dict[str, str]], column: str, classroom: Path | None = None) -> list[Learner]:
    """One learner per gradebook row, with the names a Classroom roster gives it."""
    mapping = classroom_names(classroom) if classroom else {}
    found = []
    for row in rows:
        name = row["submission"]
        status = row.get("status", "")
        value = row.get(column, "")
        if status == NOT_SUBMITTED:
            score, reason = "0", ""
        elif status == "error" or value == "":
            score, reason = None, f"not graded: {row.get('error') or 'no score'}"
        else:
            score, reason = value, ""
        keys = [*mapping.get(name.casefold(), []), name]
        summary = f"{score} points" if score is not None else ""
        if row.get("penalty") not in (None, "", "0"):
            summary += f" ({row.get('raw_score')} before a late penalty of {row['penalty']})"
        found.append(Learner(name, keys, score, reason, summary))
    return found


def classroom_names(path: Path) -> dict[str, list[str]]:
    """Folder name (case-folded) -> the roster identifier and GitHub user name a Classroom
    grades CSV gives it. A folder is a repository name or a GitHub user name; `gh classroom
    clone` names folders after repositories, which end in ``-<user name>``."""
    table = rawcsv.read(path)
    header = table.header
    missing = [c for c in ("github_username", "roster_identifier") if c not in header]
    if missing:
        raise ExportError(f"{path}: not a GitHub Classroom grades CSV (no column {', '.join(missing)})")
    mapping: dict[str, list[str]] = {}
    for record in table.records[1:]:
        row = dict(zip(header, record.values(), strict=False))
        ids = [row.get(c, "").strip() for c in CLASSROOM_IDS[:2]]
        ids = [i for i in ids if i]
        for folder in (row.get("student_repository_name", ""), row.get("github_username", "")):
            if folder.strip():
                mapping[folder.strip().casefold()] = ids
    return mapping


def match_column(header: list[str], rows: list[list[str]], learners: list[Learner], preferred: list[str]) -> str:
    """The column that names learners: the first of ``preferred`` (then of the rest) in which
    some value is one of the learners' names."""
    names = {key.strip().casefold() for learner in learners for key in learner.keys}
    ordered = [c for c in preferred if c in header] + [c for c in header if c not in preferred]
    for column in ordered:
        index = header.index(column)
        if any(len(r) > index and r[index].strip().casefold() in names for r in rows):
            return column
    raise ExportError(
        "no roster column holds the submission folders' names: name the column with "
        f'MATCH="<column>" (columns: {", ".join(header)}), or map GitHub user names with CLASSROOM=<grades csv>'
    )


def index_learners(learners: list[Learner]) -> dict[str, Learner]:
    """Every name a learner is known by (case-folded) -> the learner."""
    index: dict[str, Learner] = {}
    for learner in learners:
        for key in learner.keys:
            index.setdefault(key.strip().casefold(), learner)
            index.setdefault(csv_cell(key).strip().casefold(), learner)  # as a file of our own writes it
    return index
