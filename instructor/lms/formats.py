"""The four gradebook files, each written as its platform's documentation describes it.

- Canvas: the course's own gradebook export, its identity columns and "Points Possible" row
  kept, one assignment column filled (a new header creates the assignment on import).
- Moodle: an identifier column the instructor maps on import (email, username, ID number) and
  one grade column; a feedback column only next to its grade column, never alone (an import of
  feedback without its grade wipes the activity's grades).
- Blackboard Learn Grade Center: ``Username`` and a column headed
  ``Title [Total Pts: 100 Score] |<ColumnID>``; in a comma-separated file every field quoted.
- GitHub Classroom: its grades CSV with ``points_awarded`` and ``points_available`` filled.

Every writer fills a roster (the platform's own export) when there is one, changing only the
grade cells; the unchanged fields keep their bytes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from grader.text_safety import csv_cell
from instructor.lms import rawcsv
from instructor.lms.learners import ExportError, Learner, index_learners, match_column

CANVAS_IDS = ["ID", "SIS User ID", "SIS Login ID", "Student", "Integration ID"]
POINTS_POSSIBLE = "Points Possible"
MOODLE_IDS = ["Username", "Email address", "ID number", "username", "email", "idnumber"]
BLACKBOARD_IDS = ["Username", "Student ID"]
CLASSROOM_IDS = ["github_username", "roster_identifier", "student_repository_name"]


@dataclass
class Options:
    """What the instructor asked for: the grade column's title, its LMS id, the roster column
    that names learners, and whether to add feedback (Moodle)."""

    title: str = "Kinesis producers and consumers"
    column_id: str = ""
    match: str = ""
    feedback: bool = False
    points: float = 100.0


@dataclass
class Export:
    """A written file and what could not go in it."""

    table: rawcsv.Table
    match: str
    not_in_roster: list[Learner] = field(default_factory=list)  # graded, but no roster row names them
    not_graded: list[Learner] = field(default_factory=list)  # in the roster, but with no grade to give
    without_submission: list[str] = field(default_factory=list)  # roster rows no submission matched
    notes: list[str] = field(default_factory=list)


def _fill(
    table: rawcsv.Table,
    learners: list[Learner],
    options: Options,
    preferred: list[str],
    columns: dict[str, str],
    skip: Collection[int] = (),
) -> Export:
    """Fill ``columns`` (header -> which value: "score", "points", "feedback") of every roster
    row that names a learner; report the rest."""
    header = table.header
    rows = [i for i in range(1, len(table.records)) if i not in skip and any(table.records[i].values())]
    values = [table.records[i].values() for i in rows]
    if options.match:
        if options.match not in header:
            raise ExportError(f"MATCH={options.match!r} is not a roster column ({', '.join(header)})")
        match = options.match
    else:
        match = match_column(header, values, learners, preferred)
    where = header.index(match)
    indexes = {name: table.column(name) for name in columns}
    for name, index in indexes.items():
        if index is None:
            indexes[name] = table.add_column(name)
    by_key = index_learners(learners)
    export = Export(table, match)
    for row, cells in zip(rows, values, strict=True):
        key = cells[where].strip().casefold() if len(cells) > where else ""
        learner = by_key.get(key)
        if learner is None:
            named = cells[where] if len(cells) > where else ""
            export.without_submission.append(named.strip() or cells[0].strip())
            continue
        learner.matched = True
        if learner.score is None:
            export.not_graded.append(learner)
            continue
        for name, what in columns.items():
            table.set_cell(row, indexes[name], _value(learner, what, options))
    export.not_in_roster = [learner for learner in learners if not learner.matched]
    return export


def _value(learner: Learner, what: str, options: Options) -> str:
    if what == "score":
        return learner.score or ""
    if what == "points":
        return f"{options.points:g}"
    return csv_cell(learner.summary)  # feedback: written only where the grade is


def canvas(roster: rawcsv.Table | None, learners: list[Learner], options: Options) -> Export:
    """The course's gradebook export with one assignment column filled."""
    if roster is None:
        raise ExportError("Canvas needs the course's own gradebook export: ROSTER=<csv exported from Canvas>")
    header = roster.header
    column = next((c for c in header if c == options.title or c.startswith(options.title + " (")), options.title)
    # Rows that are not learners: "Points Possible" and, where posting is manual, a row
    # without a name that says so per assignment.
    not_learners = {i for i, r in enumerate(roster.records) if i > 0 and r.values()[0].strip() in ("", POINTS_POSSIBLE)}
    is_new = column not in header
    export = _fill(roster, learners, options, CANVAS_IDS, {column: "score"}, not_learners)
    index = roster.column(column)
    for row in not_learners:
        if is_new and index is not None and roster.records[row].values()[0].strip() == POINTS_POSSIBLE:
            roster.set_cell(row, index, f"{options.points:g}")  # an existing column keeps Canvas's own
    if is_new:
        export.notes.append(f"new column {column!r}: Canvas creates an assignment of that name on import")
    return export


def moodle(roster: rawcsv.Table | None, learners: list[Learner], options: Options) -> Export:
    """An identifier column and a grade column (and its feedback column, if asked)."""
    columns = {options.title: "score"}
    if options.feedback:
        columns[f"{options.title} (feedback)"] = "feedback"
    if roster is None:
        identifier = options.match or "username"
        roster = _new(
            [identifier], learners, quote_all=False
        )  # identifiers from the folder names (or the Classroom roster)
        options = Options(**{**options.__dict__, "match": identifier})
    return _fill(roster, learners, options, MOODLE_IDS, columns)


def blackboard_header(options: Options) -> str:
    """``Title [Total Pts: 100 Score] |<ColumnID>``: with the id, the upload fills that column;
    without it Blackboard would create a text column, so the plain title is all there is to say."""
    if options.column_id:
        return f"{options.title} [Total Pts: {options.points:g} Score] |{options.column_id}"
    return options.title


def blackboard(roster: rawcsv.Table | None, learners: list[Learner], options: Options) -> Export:
    """``Username`` and the grade column; comma-separated with every field quoted."""
    column = blackboard_header(options)
    if roster is None:
        roster = _new([options.match or "Username"], learners, quote_all=True)
    elif options.column_id:
        column = next((c for c in roster.header if c.endswith("|" + options.column_id)), column)
    export = _fill(roster, learners, options, BLACKBOARD_IDS, {column: "score"})
    if not options.column_id:
        export.notes.append(
            "no COLUMN_ID: Blackboard adds the column as a text column worth 0 points; give the Grade Center "
            "column's id (Column Information) to fill it"
        )
    return export


def classroom(roster: rawcsv.Table | None, learners: list[Learner], options: Options) -> Export:
    """GitHub Classroom's grades CSV with points_awarded and points_available filled."""
    if roster is None:
        raise ExportError("GitHub Classroom: ROSTER=<the assignment's grades CSV downloaded from Classroom>")
    missing = [c for c in ("github_username", "roster_identifier") if c not in roster.header]
    if missing:
        raise ExportError(f"ROSTER is not a GitHub Classroom grades CSV (no column {', '.join(missing)})")
    return _fill(roster, learners, options, CLASSROOM_IDS, {"points_awarded": "score", "points_available": "points"})


def _new(header: list[str], learners: list[Learner], quote_all: bool) -> rawcsv.Table:
    """A roster of our own: one row per learner, named by its first key (the Classroom roster
    identifier when one was given, else the folder name)."""
    table = rawcsv.new_table(header, quote_all=quote_all)
    for learner in learners:
        rawcsv.append_row(table, [csv_cell(learner.keys[0])])
    return table


WRITERS = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard, "classroom": classroom}
