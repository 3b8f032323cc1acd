"""Hostile and broken submissions are graded in bounded time, fairly, and leave nothing behind.

Each case in tests/submissions/hostile/cases.py is the reference with one hostile change. It
is graded through ``grader.grade.grade`` (what ``make grade`` runs), two at a time, and
compared with the reference graded the same way: the tasks the change breaks lose points,
every other task keeps exactly the reference's points, and nothing the submission does
reaches the grader's report, the repository or the processes left on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader import manifest
from grader import report as report_module
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, task_scores
from tests.submissions.hostile.cases import CASES, CONSUMER_TASKS, MARKER, PRODUCER_TASKS, Case

ROOT = Path(__file__).resolve().parents[2]
BY_ID = {case.id: case for case in CASES}
WRITTEN_BY_HOSTILE_CODE = {"results.json", "github_output", ".hostile-was-here"}
# Run alone, the endless loop is graded in about 25 s (see `make bench`); two gradings share
# the two cores here, hence the margin.
PARALLEL_SLOWDOWN = 1.5


def _options(case: Case) -> tuple[bool, tuple[str, ...]]:
    return case.include_hidden, tuple(case.extra_args)


def _untracked_and_changed() -> set[str]:
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line[3:] for line in done.stdout.splitlines()}


def _tree(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


def _descendants() -> set[int]:
    """Processes below this one, but for multiprocessing's resource tracker (it stays by design)."""
    found = set()
    for process in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(process.cmdline()):
                found.add(process.pid)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case and the reference under each set of options, graded once."""
    base = tmp_path_factory.mktemp("hostile")
    jobs, submissions = [], {}
    for case in sorted(CASES, key=lambda c: -c.seconds):  # the slowest first: better packing
        materialize(base / case.id, case.patches, case.overlay, case.generate)
        submissions[case.id] = base / case.id
        jobs.append(Job(case.id, base / case.id / "exercises", case.include_hidden, case.extra_args, base / "out" / case.id))
    for include_hidden, extra in sorted({_options(c) for c in CASES if not c.module and (c.include_hidden is False or c.extra_args)}):
        jobs.append(Job(f"reference{include_hidden}{extra}", REFERENCE, include_hidden, list(extra)))
    trees = {name: _tree(folder) for name, folder in submissions.items()}
    repo_before = _untracked_and_changed()
    descendants_before = _descendants()
    results = grade_all(jobs)
    return {
        "results": results,
        "submissions": submissions,
        "trees_before": trees,
        "repo_before": repo_before,
        "repo_after": _untracked_and_changed(),
        "descendants_before": descendants_before,
        "descendants_after": _descendants(),
        "out": base / "out",
    }


def _baseline(graded: dict[str, Any], case: Case) -> dict[str, float]:
    """The reference's points per task when graded with the case's options."""
    include_hidden, extra = _options(case)
    if include_hidden and not extra:
        return {t.id: float(t.points) for t in manifest.load()}  # the reference gets full marks
    if case.module:  # -k <module> only leaves out the other tasks' tests
        public = task_scores(graded["results"][f"reference{include_hidden}{()}"][0])
        return {task: points if task.startswith(case.module + ".") else 0.0 for task, points in public.items()}
    return task_scores(graded["results"][f"reference{include_hidden}{extra}"][0])


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_only_the_broken_tasks_lose_points(graded, case_id):
    case = BY_ID[case_id]
    report, _ = graded["results"][case_id]
    got, reference = task_scores(report), _baseline(graded, case)
    assert set(got) == {t.id for t in manifest.load()}, "every manifest task is in the report"
    for task, points in reference.items():
        if task in case.loses:
            assert points > 0 and got[task] < points, (task, got[task])
        else:
            assert got[task] == points, (task, got[task], points)
    assert report["problems"] == []


@pytest.mark.parametrize("case_id", [c.id for c in CASES if c.loses])
def test_failures_say_what_went_wrong(graded, case_id):
    case = BY_ID[case_id]
    report, _ = graded["results"][case_id]
    for task in case.loses:
        failures = [t for t in report["tests"] if t["task"] == task and t["status"] == "failed"]
        assert failures, task
        assert any(case.message in t["message"] for t in failures), (task, failures[0]["message"])
        for test in failures:
            assert test["message"].startswith("Called ") and "Traceback" not in test["message"]
            assert str(ROOT) not in test["message"]


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_report_is_complete_and_time_bounded(graded, case_id):
    case = BY_ID[case_id]
    report, seconds = graded["results"][case_id]
    reference, _ = graded["results"].get(f"reference{_options(case)[0]}{() if case.module else _options(case)[1]}", (None, 0))
    selected = [t for t in report["tests"] if t["status"] != "error" or t["message"]]
    assert all(t["status"] in ("passed", "failed") for t in selected), "no test left unreported or crashed"
    if reference is not None:
        wanted = [t["name"] for t in reference["tests"] if not case.module or t["task"].startswith(case.module + ".")]
        assert [t["name"] for t in report["tests"]] == wanted
    assert seconds < case.seconds * PARALLEL_SLOWDOWN, f"{case_id} took {seconds:.1f} s"


def test_a_broken_module_costs_only_its_own_tasks(graded):
    producer_broken = task_scores(graded["results"]["exit_at_import"][0])
    consumer_broken = task_scores(graded["results"]["syntax_error"][0])
    points = {t.id: t.points for t in manifest.load()}
    assert all(producer_broken[t] == points[t] for t in CONSUMER_TASKS)
    assert all(producer_broken[t] == 0 for t in PRODUCER_TASKS)
    assert all(consumer_broken[t] == points[t] for t in PRODUCER_TASKS)
    assert all(consumer_broken[t] == 0 for t in CONSUMER_TASKS)


def test_an_endless_loop_costs_one_timeout(graded):
    report, _ = graded["results"]["endless_loop"]
    timeouts = [t for t in report["tests"] if "real time" in t["message"]]
    assert len(timeouts) == 1, [t["name"] for t in timeouts]


def test_memory_limit_gives_a_clear_message(graded):
    report, _ = graded["results"]["huge_allocation"]
    failed = [t for t in report["tests"] if t["status"] == "failed"]
    assert failed and all("used too much memory (the limit is 1024 MiB)" in t["message"] for t in failed)


def test_fake_results_and_workflow_commands_reach_nothing(graded):
    report, _ = graded["results"]["fake_output"]
    written = json.loads((graded["out"] / "fake_output" / "results.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(report)) and written["score"] < 100
    console = report_module.render(report)
    assert not [line for line in console.splitlines() if line.lstrip().startswith(("::", "##[", "Points "))]
    new = _untracked_and_changed() - graded["repo_before"]
    assert not {path for path in new if Path(path).name in WRITTEN_BY_HOSTILE_CODE}, new
    assert not [p for p in ROOT.glob("*") if p.name in WRITTEN_BY_HOSTILE_CODE]


def test_submissions_are_never_written(graded):
    for name, folder in graded["submissions"].items():
        assert _tree(folder) == graded["trees_before"][name], name


def test_nothing_is_left_running(graded):
    leftovers = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if MARKER in " ".join(process.info["cmdline"] or []):
            leftovers.append(process.info)
    assert leftovers == []
    assert graded["descendants_after"] <= graded["descendants_before"]


def test_output_is_bounded(graded):
    report, _ = graded["results"]["huge_output"]
    assert all(len(t["output"]) < 1000 for t in report["tests"])
    assert len(json.dumps(report)) < 1_000_000


@pytest.mark.skipif(os.geteuid() != 0, reason="hiding files needs a mount namespace, made only as root")
def test_hidden_tests_answer_key_and_solutions_cannot_be_read(graded):
    report, _ = graded["results"]["reads_secrets"]
    assert [t["name"] for t in report["tests"] if "LEAKED" in t["output"]] == []
