"""Write the grades of a batch as a file an LMS imports as it is.

``python -m instructor.lms.export LMS GRADES [--roster CSV] [--match COLUMN] [--out FILE]
[--classroom CSV] [--title T] [--column-id ID] [--feedback]`` reads GRADES/gradebook.csv and
writes FILE (default GRADES/<lms>-import.csv), plus FILE's ``.unmatched.csv``: every learner
the file does not grade, and why. Nobody is left out silently.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from pathlib import Path

from grader.text_safety import csv_cell
from instructor.lms import formats, rawcsv
from instructor.lms.learners import ExportError, learners_of, read_grades


def export(
    lms: str,
    grades: Path,
    out: Path,
    roster: Path | None = None,
    classroom: Path | None = None,
    options: formats.Options | None = None,
) -> formats.Export:
    """Write the LMS file and its list of unmatched learners; return what was done."""
    options = options or formats.Options()
    rows, column, points = read_grades(grades)
    options.points = points
    learners = learners_of(rows, column, classroom if classroom else (roster if lms == "classroom" else None))
    table = rawcsv.read(roster) if roster else None
    done = formats.WRITERS[lms](table, learners, options)
    _write(out, done.table.to_bytes())
    _write(unmatched_path(out), unmatched_csv(done))
    return done


def unmatched_path(out: Path) -> Path:
    return out.with_name(out.stem + ".unmatched.csv")


def unmatched_csv(done: formats.Export) -> bytes:
    """One line per learner the LMS file does not grade: who, and why."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "roster", "reason"])
    for learner in done.not_in_roster:
        why = learner.reason or f"no roster row whose {done.match!r} is {' or '.join(learner.keys)}"
        writer.writerow([csv_cell(learner.name), "", csv_cell(why)])
    for learner in done.not_graded:
        writer.writerow([csv_cell(learner.name), csv_cell(learner.keys[0]), csv_cell(learner.reason)])
    for name in done.without_submission:
        writer.writerow(["", csv_cell(name), "in the roster, no submission: the grade cell is left as it was"])
    return buffer.getvalue().encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    """Write atomically, so an import never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".export-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor.lms.export", description=__doc__.splitlines()[0])
    parser.add_argument("lms", choices=sorted(formats.WRITERS))
    parser.add_argument("grades", type=Path, help="the OUT folder of make grade-all")
    parser.add_argument("--roster", type=Path, help="the LMS's own export to fill (Canvas, Classroom: required)")
    parser.add_argument("--match", default="", help="the roster column that names learners")
    parser.add_argument("--out", type=Path, help="the file to write (default GRADES/<lms>-import.csv)")
    parser.add_argument("--classroom", type=Path, help="a GitHub Classroom grades CSV: folder names -> roster ids")
    parser.add_argument("--title", default=formats.Options.title, help="the grade column's title")
    parser.add_argument("--column-id", default="", help="Blackboard: the Grade Center column's id")
    parser.add_argument("--feedback", action="store_true", help="Moodle: add a feedback column next to the grade")
    args = parser.parse_args(argv)
    out = args.out or args.grades / f"{args.lms}-import.csv"
    options = formats.Options(args.title, args.column_id, args.match, args.feedback)
    try:
        done = export(args.lms, args.grades, out, args.roster, args.classroom, options)
    except (ExportError, OSError, UnicodeDecodeError) as error:
        print(f"export refused: {error}", file=sys.stderr)
        return 1
    graded = sum(1 for r in done.table.records[1:] if r.values())
    print(f"{args.lms}: {out} ({graded} rows, learners matched through {done.match!r})")
    for note in done.notes:
        print(f"note: {note}")
    left = len(done.not_in_roster) + len(done.not_graded) + len(done.without_submission)
    if left:
        print(f"{left} learners not graded by this file, listed in {unmatched_path(out)}:")
        print(unmatched_csv(done).decode("utf-8").split("\n", 1)[1], end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
