"""The late policy applied to a batch graded at a deadline, without grading anything again.

``python -m instructor.apply_policy GRADES [--policy FILE]`` chooses each learner's commit
again from ``GRADES/<learner>/history.json`` (written by ``grade-all --deadline``), makes its
results the learner's ``results.json`` and ``feedback.md``, and rewrites ``gradebook.csv`` with
the commit graded, its time, the raw score, the penalty and the final score.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from grader.pipeline.report import number
from instructor import deadline, gradebook
from instructor.late_policy import Policy, PolicyError, load

COLUMNS = ["commit", "commit_time", "due", "late_hours", "raw_score", "penalty", "final_score"]


def add_columns(out: Path, policy: Policy) -> Path:
    """Add the deadline's columns to OUT/gradebook.csv: which commit, when, and what lateness
    cost; a learner with no commit before the cut-off is "not submitted" and scores 0."""
    path = out / gradebook.GRADEBOOK
    header, rows = gradebook.read_csv(path)
    header = [c for c in header if c not in COLUMNS]
    at = header.index("status") if "status" in header else len(header)
    header[at:at] = COLUMNS
    for row in rows:
        for column in COLUMNS:
            row[column] = ""
        record = _history(out / row["submission"])
        if record is None:
            continue
        row["due"] = record["due"]
        chosen = record.get("chosen")
        if chosen is None:
            if not row.get("total"):
                row.update(status=deadline.NOT_SUBMITTED, error="", final_score="0")
            continue
        late = timedelta(seconds=chosen["late_seconds"])
        row.update(commit=chosen["sha"], commit_time=chosen["time"])
        row["late_hours"] = number(max(late.total_seconds(), 0.0) / 3600)
        if chosen.get("note"):
            row["error"] = "; ".join(filter(None, [row.get("error", ""), chosen["note"]]))
        raw_text = row.get("final_total") or row.get("total")
        if raw_text:
            raw = float(raw_text)
            row.update(raw_score=number(raw), penalty=number(policy.penalty(raw, late)))
            row["final_score"] = number(policy.final(raw, late))
    gradebook.write_csv(path, header, rows)
    return path


def apply(out: Path, policy: Policy) -> Path:
    """Choose every learner's commit under ``policy`` and rewrite the gradebook."""
    from instructor import batch  # batch calls add_columns: imported here, not at the top

    outcomes = []
    _, rows = gradebook.read_csv(out / gradebook.GRADEBOOK)
    for row in rows:  # the learners of the batch, in its order
        folder = out / row["submission"]
        record = _history(folder)
        if record is None:  # not graded at a deadline (e.g. not a repository): kept as it was
            results = folder / "results.json"
            report = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else None
            outcomes.append(batch.Outcome(folder.name, report, "" if report else row.get("error", "")))
            continue
        report, error = deadline.install(folder, record, policy)
        (folder / "feedback.md").write_text(gradebook.feedback(folder.name, report, error), encoding="utf-8")
        outcomes.append(batch.Outcome(folder.name, report, error))
    batch.write_gradebook(out, outcomes)
    return add_columns(out, policy)


def _history(folder: Path) -> dict | None:
    try:
        return json.loads((folder / deadline.HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor.apply_policy", description=__doc__.splitlines()[0])
    parser.add_argument("grades", type=Path, help="the OUT folder of make grade-all DEADLINE=...")
    parser.add_argument("--policy", type=Path, help="the late policy (TOML); without it, no late work counts")
    args = parser.parse_args(argv)
    try:
        policy = load(args.policy) if args.policy else Policy()
    except (PolicyError, OSError) as error:
        print(f"policy refused: {error}", file=sys.stderr)
        return 2
    if not (args.grades / gradebook.GRADEBOOK).is_file():
        print(f"no {args.grades / gradebook.GRADEBOOK}: run make grade-all DEADLINE=... first", file=sys.stderr)
        return 2
    print(f"late policy applied -> {apply(args.grades, policy)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
