"""End-to-end self-tests of the grader: golden reports for known submissions.

Each submission is graded once per session (grading takes seconds) and compared with its
golden report in tests/golden/. Regenerate goldens after an intended change with
``UPDATE_GOLDEN=1 make test`` and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import manifest
from instructor import stubs
from tests.mutants.patching import Job, grade_all

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SUBMISSIONS = ROOT / "tests" / "submissions"
# name -> (exercises, level); None is the setting, core unless grader/level.toml says otherwise.
SOURCES = {
    "reference": (ROOT / "solutions", None),
    "stubs": (ROOT / "exercises", None),
    "module_style": (SUBMISSIONS / "module_style" / "exercises", None),
    "reference_full": (ROOT / "solutions", "full"),
    "module_style_full": (SUBMISSIONS / "module_style" / "exercises", "full"),
}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    """Each known submission graded once (in this session: other self-tests share these gradings)."""
    jobs = [Job(name, source, level=level) for name, (source, level) in SOURCES.items()]
    return {name: report for name, (report, _) in grade_all(jobs, reuse=True).items()}


def summary(report: dict) -> dict:
    """The parts of a report a golden file pins: scores per task and every test's verdict."""
    return {
        "level": report["level"],
        "status": report["status"],
        "score": report["score"],
        "max_score": report["max_score"],
        "tasks": {t["id"]: [t["score"], t["status"]] for t in report["tasks"]},
        "tests": {t["name"]: t["status"] for t in report["tests"]},
        "problems": report["problems"],
    }


@pytest.mark.parametrize("name", list(SOURCES))
def test_report_matches_golden(reports, name):
    got = summary(reports[name])
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["reference", "reference_full"])
def test_reference_gets_full_marks(reports, name):
    report = reports[name]
    assert (report["status"], report["score"], report["max_score"]) == ("pass", 100, 100)
    assert report["hidden_tests"] == "included"
    assert all(m["answer"] and not m["problem"] for m in report["manual"])


def test_a_core_grading_runs_fewer_checks_and_records_its_level(reports):
    assert (reports["reference"]["level"], reports["reference_full"]["level"]) == ("core", "full")
    assert len(reports["reference"]["tests"]) < len(reports["reference_full"]["tests"])
    # The module's code loses at core only what its known bugs cost: every check it fails at
    # core fails at full too, and its total is no lower at core. (A task's score is the share
    # of its checks passed, so a task can score less at core where full adds checks it passes.)
    failed = {
        name: {t["name"] for t in reports[name]["tests"] if t["status"] == "failed"}
        for name in ("module_style", "module_style_full")
    }
    assert failed["module_style"] <= failed["module_style_full"]
    assert reports["module_style"]["score"] >= reports["module_style_full"]["score"]


def test_untouched_stubs_get_zero_without_errors(reports):
    report = reports["stubs"]
    assert report["score"] == 0 and report["max_score"] == 100
    assert {t["status"] for t in report["tests"]} == {"failed"}
    assert not report["problems"]
    code_failures = [t for t in report["tests"] if t["task"].startswith(("producer", "consumer"))]
    assert all("still a stub" in t["message"] for t in code_failures)


@pytest.mark.parametrize("name", ["module_style", "module_style_full"])
def test_module_style_code_gets_partial_credit_in_bounded_time(reports, name):
    report = reports[name]
    tasks = {t["id"]: t for t in report["tasks"]}
    assert 0 < report["score"] < 100
    # What the module gets right scores; its consumer that never stops does not.
    assert tasks["producer.send_event"]["status"] == "passed"
    assert tasks["consumer.stopping"]["score"] == 0
    # Bounded by the grader's own rules, not by the machine's speed: the consumer that never
    # stops is stopped once it finds the shard dry, and no run waited out its real-time limit.
    messages = [t["message"] for t in report["tests"]]
    assert any("found nothing new, so the grader stopped it" in message for message in messages)
    assert not any("did not return within" in message for message in messages)


def test_every_failure_is_explained(reports):
    for report in reports.values():
        for test in report["tests"]:
            if test["status"] != "passed":
                assert test["message"].startswith("Called "), test
                assert "Traceback" not in test["message"] and str(ROOT) not in test["message"]


def test_exercises_are_in_sync_with_solutions():
    assert stubs.outdated(ROOT / "solutions", ROOT / "exercises") == [], stubs.OUTDATED_MESSAGE


def test_manifest_counts_the_hidden_checks(reports):
    per_task = {task.id: 0 for task in manifest.load()}
    for test in reports["stubs"]["tests"]:
        if test["hidden"]:
            per_task[test["task"]] += 1
    assert per_task == {t.id: t.hidden_checks for t in manifest.load()}


def test_grade_command_reads_only_exercises_and_never_writes_into_the_submission(tmp_path):
    submission = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", submission / "exercises")
    # Things a submission may carry that must play no part in grading.
    (submission / "conftest.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    raise SystemExit(3)\n"
    )
    (submission / "exercises" / "conftest.py").write_text("raise SystemExit('conftest ran')\n")
    (submission / "pytest.ini").write_text("[pytest]\naddopts = -x --collect-only\n")
    (submission / "tests").mkdir()
    (submission / "tests" / "test_fake.py").write_text("def test_fake():\n    assert True\n")
    # A broken answer file costs only the multiple-choice points.
    (submission / "exercises" / "checkpoint.md").write_bytes(b"\x00\x01binary\xff")
    before = sorted((p.relative_to(submission), p.stat().st_mtime_ns) for p in submission.rglob("*"))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(submission), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert report["score"] == 94 and not report["problems"]
    by_task = {t["id"]: t for t in report["tasks"]}
    for task in ("checkpoint.q1", "checkpoint.q2", "discussion.q3"):
        assert by_task[task]["score"] == 0
        failed = [t for t in report["tests"] if t["task"] == task and t["status"] != "passed"]
        assert failed and "checkpoint.md" in failed[0]["message"]
    assert {"test_fake"}.isdisjoint(t["name"] for t in report["tests"])
    after = sorted((p.relative_to(submission), p.stat().st_mtime_ns) for p in submission.rglob("*"))
    assert before == after
