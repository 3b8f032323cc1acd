"""Self-tests of batch grading: the gradebook, feedback, skipping unchanged work, manual points."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from instructor import batch, gradebook

ROOT = batch.ROOT
WRITTEN = ["checkpoint.q3", "discussion.q1", "discussion.q2"]


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as stream:
        return {row["submission"]: row for row in csv.DictReader(stream)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Three submissions graded once, two at a time: the reference, the stubs, a broken one."""
    base = tmp_path_factory.mktemp("batch")
    submissions, out = base / "submissions", base / "out"
    shutil.copytree(ROOT / "solutions", submissions / "reference" / "exercises")
    shutil.copytree(ROOT / "exercises", submissions / "stubs" / "exercises")
    (submissions / "broken").mkdir()
    (submissions / "broken" / "exercises").write_text("a file where the folder should be\n")
    progress = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grader_fingerprint", lambda: "fixed")  # the grader may be edited meanwhile
        outcomes = batch.grade_all(submissions, out, jobs=2, stream=progress)
    assert [o.name for o in outcomes] == ["broken", "reference", "stubs"]
    return submissions, out, progress.getvalue()


def test_gradebook_has_a_row_per_submission(graded: tuple[Path, Path, str]) -> None:
    _, out, _ = graded
    rows = _rows(out)
    assert set(rows) == {"reference", "stubs", "broken"}
    reference, stubs, broken = rows["reference"], rows["stubs"], rows["broken"]
    assert reference["status"] == "pass" and float(reference["total"]) == float(reference["max_score"]) == 100
    assert float(reference["producer.ordering"]) > 0 and float(reference["checkpoint.q1"]) > 0
    assert stubs["status"] == "fail" and float(stubs["total"]) == 0
    assert broken["status"] == "error" and "exercises/" in broken["error"]
    for qid in WRITTEN:
        assert len(reference[gradebook.ANSWER_PREFIX + qid]) > 50 and stubs[gradebook.ANSWER_PREFIX + qid] == ""


def test_results_feedback_and_progress(graded: tuple[Path, Path, str]) -> None:
    _, out, progress = graded
    for name in ("reference", "stubs"):
        assert (out / name / "results.json").is_file()
    feedback = (out / "stubs" / "feedback.md").read_text(encoding="utf-8")
    assert feedback.startswith("# Feedback: stubs") and "## What to fix" in feedback and "Hint:" in feedback
    assert "could not be graded" in (out / "broken" / "feedback.md").read_text(encoding="utf-8")
    assert "3/3" in progress and "ETA" in progress


def test_second_run_skips_unchanged_unless_forced(
    graded: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    submissions, out, _ = graded
    calls: list[str] = []

    def fake_grade(submission: Path, target: Path, timeout: float, level: str) -> tuple[dict | None, str]:
        calls.append(submission.name)
        return batch._load(target / "results.json"), ""

    monkeypatch.setattr(batch, "grader_fingerprint", lambda: "fixed")
    monkeypatch.setattr(batch, "grade_one", fake_grade)
    quiet = io.StringIO()
    outcomes = batch.grade_all(submissions, out, jobs=2, stream=quiet)
    assert calls == [] and [o.skipped for o in outcomes] == [False, True, True]
    assert "skipped (unchanged)" in quiet.getvalue()
    (submissions / "stubs" / "exercises" / "notes.txt").write_text("changed\n")
    batch.grade_all(submissions, out, jobs=2, stream=quiet)
    assert calls == ["stubs"]
    batch.grade_all(submissions, out, jobs=1, force=True, stream=quiet)
    assert sorted(calls) == ["reference", "stubs", "stubs"]


def test_a_crashing_grading_gives_an_error_row(
    graded: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    submissions, _, _ = graded

    def crash(submission: Path, target: Path, timeout: float, level: str) -> tuple[dict | None, str]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "grade_one", crash)
    outcomes = batch.grade_all(submissions, tmp_path / "out", jobs=2, stream=io.StringIO())
    assert len(outcomes) == 3
    rows = _rows(tmp_path / "out")
    assert rows["reference"]["status"] == "error" and "disk full" in rows["reference"]["error"]


def test_import_manual_adds_columns_and_final_total(graded: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, out, _ = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    manual = tmp_path / "manual.csv"
    manual.write_text(
        "submission,task,points\nreference,checkpoint.q3,4\nreference,discussion.q1,3.5\nstubs,discussion.q2,0\n"
    )
    assert batch.main(["import-manual", str(manual), str(copy)]) == 0
    rows = _rows(copy)
    assert rows["reference"]["manual:checkpoint.q3"] == "4" and rows["reference"]["manual:discussion.q2"] == ""
    assert rows["reference"]["manual_total"] == "7.5" and float(rows["reference"]["final_total"]) == 107.5
    assert rows["stubs"]["final_total"] == "0"
    # Writing the gradebook again (a re-grade) keeps the imported points.
    outcomes = [batch.Outcome(name, batch._load(copy / name / "results.json"), "") for name in ("reference", "stubs")]
    batch.write_gradebook(copy, outcomes)
    assert _rows(copy)["reference"]["final_total"] == "107.5"
    manual.write_text("submission,task,points\nreference,checkpoint.q3,9\n")
    assert batch.main(["import-manual", str(manual), str(copy)]) == 1
    manual.write_text("submission,task,points\nreference,producer.ordering,1\n")
    assert batch.main(["import-manual", str(manual), str(copy)]) == 1
