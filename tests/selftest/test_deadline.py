"""Grading at a deadline: learner repositories with commits dated before and after it, the commit
graded chosen by commit date, extensions, "not submitted", the late policy applied afterwards
without grading again, and the learner's repository never changed."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from instructor import apply_policy, batch, deadline, gradebook, late_policy

ROOT = batch.ROOT
DEADLINE = datetime.fromisoformat("2026-12-01T23:59:00+01:00")
GIT = ["git", "-c", "user.name=Learner", "-c", "user.email=learner@example.invalid", "-c", "init.defaultBranch=main"]


def _commit(repo: Path, when: datetime, files: dict[str, str]) -> str:
    """One commit dated ``when`` (author and committer date) with ``files`` written first."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    stamp = when.isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run([*GIT, "commit", "-qm", f"work of {stamp}"], cwd=repo, check=True, env=env)
    return subprocess.run([*GIT, "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()


def _repo(base: Path, name: str, commits: list[tuple[timedelta, str]]) -> list[str]:
    repo = base / name
    repo.mkdir(parents=True)
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    return [_commit(repo, DEADLINE + offset, {"exercises/score.txt": score}) for offset, score in commits]


def fake_grade(submission: Path, out: Path, timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Stands in for the grader where only the commit's choice matters: the score is the number
    in exercises/score.txt of the copy it is given."""
    score = float((submission / "exercises" / "score.txt").read_text())
    report = {"score": score, "max_score": 100.0, "status": "pass" if score == 100 else "fail"}
    report |= {"tasks": [], "tests": [], "manual": []}
    (out / "results.json").write_text(json.dumps(report))
    return report, ""


@pytest.fixture
def classroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Four learners: commits on both sides of the deadline, only late, none at all, no git."""
    base = tmp_path / "collected"
    shas = {
        "ana": _repo(
            base, "ana", [(timedelta(days=-2), "10"), (timedelta(hours=-1), "20"), (timedelta(hours=1), "90")]
        ),
        "ben": _repo(base, "ben", [(timedelta(days=1), "100")]),
        "cy": _repo(base, "cy", []),
    }
    (base / "dee" / "exercises").mkdir(parents=True)
    calls: list[str] = []

    def counted(submission: Path, out: Path, timeout: float) -> tuple[dict[str, Any] | None, str]:
        calls.append(out.parent.parent.name)
        assert not submission.is_relative_to(base)  # a private copy, never the learner's folder
        return fake_grade(submission, out, timeout)

    monkeypatch.setattr(batch, "grader_fingerprint", lambda: "fixed")
    monkeypatch.setattr(batch, "grade_one", counted)
    return {"base": base, "out": tmp_path / "grades", "shas": shas, "calls": calls}


def _grade(classroom: dict[str, Any], **options: Any) -> dict[str, dict[str, str]]:
    cutoff = deadline.Cutoff(DEADLINE, **options)
    batch.grade_all(classroom["base"], classroom["out"], jobs=2, stream=io.StringIO(), cutoff=cutoff)
    _, rows = gradebook.read_csv(classroom["out"] / gradebook.GRADEBOOK)
    return {row["submission"]: row for row in rows}


def test_the_last_commit_before_the_deadline_is_graded(classroom: dict[str, Any]) -> None:
    ana_before = subprocess.run([*GIT, "status", "--porcelain"], cwd=classroom["base"] / "ana", capture_output=True)
    rows = _grade(classroom)
    ana = rows["ana"]
    assert ana["commit"] == classroom["shas"]["ana"][1] and ana["total"] == "20" and ana["final_score"] == "20"
    assert datetime.fromisoformat(ana["commit_time"]) == DEADLINE - timedelta(hours=1)
    results = json.loads((classroom["out"] / "ana" / "results.json").read_text())
    assert results["commit"]["sha"] == classroom["shas"]["ana"][1]
    for name in ("ben", "cy"):  # only a late commit, or none: not submitted, not an error
        assert (rows[name]["status"], rows[name]["error"], rows[name]["final_score"]) == ("not submitted", "", "0")
    assert rows["dee"]["status"] == "error" and "not a git repository" in rows["dee"]["error"]
    # The learner's repository is as it was: same HEAD, same files, nothing staged.
    ana_repo = classroom["base"] / "ana"
    head = subprocess.run([*GIT, "rev-parse", "HEAD"], cwd=ana_repo, capture_output=True, text=True).stdout.strip()
    assert head == classroom["shas"]["ana"][2] and (ana_repo / "exercises" / "score.txt").read_text() == "90"
    assert subprocess.run([*GIT, "status", "--porcelain"], cwd=ana_repo, capture_output=True).stdout == (
        ana_before.stdout
    )


def test_an_extension_moves_one_learners_deadline_only(classroom: dict[str, Any], tmp_path: Path) -> None:
    before = _grade(classroom)
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("submission,deadline\nana,+2h\n")
    after = _grade(classroom, extensions=deadline.load_extensions(extensions, DEADLINE))
    assert after["ana"]["commit"] == classroom["shas"]["ana"][2] and after["ana"]["total"] == "90"
    assert after["ana"]["due"] == (DEADLINE + timedelta(hours=2)).isoformat()
    assert {k: v for k, v in after.items() if k != "ana"} == {k: v for k, v in before.items() if k != "ana"}


def test_best_of_and_a_changed_policy_grade_nothing_again(classroom: dict[str, Any], tmp_path: Path) -> None:
    policy = late_policy.Policy(penalty_percent=10, per="day", accept_late_days=2, choose="best", floor_percent=50)
    rows = _grade(classroom, policy=policy)
    graded = sorted(classroom["calls"])
    assert graded == ["ana", "ana", "ana", "ben"]  # every commit before the cut-off, once each
    ana, ben = rows["ana"], rows["ben"]
    assert (ana["commit"], ana["raw_score"], ana["penalty"], ana["final_score"]) == (
        classroom["shas"]["ana"][2],
        "90",
        "9",
        "81",
    )
    assert (ben["raw_score"], ben["penalty"], ben["final_score"], ben["late_hours"]) == ("100", "10", "90", "24")
    # The instructor changes the policy: the last commit, 50 % a day. Nothing is graded again.
    strict = tmp_path / "late.toml"
    strict.write_text('penalty_percent = 50\nper = "day"\naccept_late_days = 2\nchoose = "last"\n')
    classroom["calls"].clear()
    assert apply_policy.main([str(classroom["out"]), "--policy", str(strict)]) == 0
    assert classroom["calls"] == []
    _, again = gradebook.read_csv(classroom["out"] / gradebook.GRADEBOOK)
    again_rows = {row["submission"]: row for row in again}
    assert (again_rows["ana"]["final_score"], again_rows["ben"]["final_score"]) == ("45", "50")
    results = json.loads((classroom["out"] / "ana" / "results.json").read_text())
    assert results["commit"]["sha"] == classroom["shas"]["ana"][2] and results["score"] == 90
    # Without a policy, no late work counts, and the recorded history says which commit that is.
    assert apply_policy.main([str(classroom["out"])]) == 0
    _, plain = gradebook.read_csv(classroom["out"] / gradebook.GRADEBOOK)
    plain_rows = {row["submission"]: row for row in plain}
    assert plain_rows["ana"]["final_score"] == "20" and plain_rows["ben"]["status"] == "not submitted"
    # Back to the first policy: every commit it needs is still graded, and the result is the same.
    best = tmp_path / "best.toml"
    best.write_text('penalty_percent = 10\naccept_late_days = 2\nchoose = "best"\nfloor_percent = 50\n')
    assert apply_policy.main([str(classroom["out"]), "--policy", str(best)]) == 0
    _, back = gradebook.read_csv(classroom["out"] / gradebook.GRADEBOOK)
    assert [(r["final_score"], r["error"]) for r in back] == [
        (rows[r["submission"]]["final_score"], rows[r["submission"]]["error"]) for r in back
    ]
    assert classroom["calls"] == []


def test_a_commit_that_leaves_exercises_alone_is_not_graded_again(classroom: dict[str, Any]) -> None:
    repo = classroom["base"] / "ben"
    _commit(repo, DEADLINE + timedelta(days=1, hours=1), {"README.md": "notes\n"})
    _commit(repo, DEADLINE + timedelta(days=1, hours=2), {"README.md": "more notes\n"})
    rows = _grade(classroom, policy=late_policy.Policy(accept_late_days=2, choose="best"))
    assert classroom["calls"].count("ben") == 1 and rows["ben"]["total"] == "100"
    history = json.loads((classroom["out"] / "ben" / "history.json").read_text())
    assert len({c["tree"] for c in history["commits"]}) == 1 and len(history["commits"]) == 3


def test_a_second_run_grades_only_new_commits(classroom: dict[str, Any]) -> None:
    _grade(classroom)
    classroom["calls"].clear()
    _commit(classroom["base"] / "ben", DEADLINE - timedelta(minutes=5), {"exercises/score.txt": "70"})
    rows = _grade(classroom)
    assert classroom["calls"] == ["ben"] and rows["ben"]["total"] == "70" and rows["ben"]["status"] == "fail"


def test_real_grading_of_the_commit_before_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stubs committed before the deadline, the reference an hour after: the stubs are
    graded (0), and with a two-hour extension the reference (100)."""
    base = tmp_path / "collected"
    repo = base / "late-learner"
    repo.mkdir(parents=True)
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    shutil.copytree(ROOT / "exercises", repo / "exercises")
    _commit(repo, DEADLINE - timedelta(hours=3), {})
    shutil.rmtree(repo / "exercises")
    shutil.copytree(ROOT / "solutions", repo / "exercises")
    _commit(repo, DEADLINE + timedelta(hours=1), {})
    monkeypatch.setattr(batch, "grader_fingerprint", lambda: "fixed")
    out = tmp_path / "grades"
    on_time = deadline.Cutoff(DEADLINE)
    extended = deadline.Cutoff(DEADLINE, {"late-learner": DEADLINE + timedelta(hours=2)})
    scores = []
    for cutoff in (on_time, extended):
        [outcome] = batch.grade_all(base, out, jobs=1, stream=io.StringIO(), cutoff=cutoff)
        assert outcome.error == "", outcome.error
        scores.append(outcome.report["score"] if outcome.report else None)
    assert scores == [0, 100]
