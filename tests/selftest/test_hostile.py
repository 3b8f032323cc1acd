"""Hostile and broken submissions are graded in bounded time, fairly, and leave nothing behind.

Each case in tests/submissions/hostile/cases.py is the reference with one hostile change. It
is graded through ``grader.pipeline.grade.grade`` (what ``make grade`` runs), two at a time, and
compared with the reference graded the same way: the tasks the change breaks lose points,
every other task keeps exactly the reference's points, and nothing the submission does
reaches the grader's report, the repository or the processes left on the machine.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader import manifest
from grader.pipeline import report as report_module
from grader.sandbox.isolation import isolation
from instructor import gradebook
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, task_scores
from tests.submissions.hostile import environment
from tests.submissions.hostile.cases import CASES, CONSUMER_TASKS, MARKER, PRODUCER_TASKS, Case
from tests.submissions.hostile.hostile_text import unsafe_in

ROOT = Path(__file__).resolve().parents[2]
BY_ID = {case.id: case for case in CASES}
WRITTEN_BY_HOSTILE_CODE = {"results.json", "github_output", ".hostile-was-here"}
# What bounds a grading's time is the grader's own rules, whatever the machine's load (the
# seconds themselves are `make bench`'s to measure): every run ends on the simulated clock but
# those that hang, which wait out the real-time limit once per part; a method that hung fails
# at once when called again.
REAL_TIME_WAITS = 2  # at most, in one grading: one in each of its two parts
# What hostile code prints when it got through; the escape cases print these on success.
ESCAPED = ("LEAKED", "BACKDOOR")
# After the grader returns, OUT is watched this long for a process of the submission writing to it.
WATCH_OUT_SECONDS = 1.5
# Cases graded in the other environments: those that attack the sandbox itself (the file view,
# the result channel, the sweep). The others test limits and messages that work the same way everywhere.
# reads_secrets is covered by steals_the_reference, hangs_at_import by the same code everywhere.
ESCAPES = [c for c in CASES if c.escape and c.id not in ("hangs_at_import", "reads_secrets")]


def _options(case: Case) -> tuple[bool, tuple[str, ...]]:
    return case.include_hidden, tuple(case.extra_args)


def _untracked_and_changed() -> set[str]:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    )
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
        jobs.append(
            Job(case.id, base / case.id / "exercises", case.include_hidden, case.extra_args, base / "out" / case.id)
        )
    for include_hidden, extra in sorted(
        {_options(c) for c in CASES if not c.module and (c.include_hidden is False or c.extra_args)}
    ):
        jobs.append(Job(f"reference{include_hidden}{extra}", REFERENCE, include_hidden, list(extra)))
    trees = {name: _tree(folder) for name, folder in submissions.items()}
    repo_before = _untracked_and_changed()
    descendants_before = _descendants()
    private_tmp = Path(tempfile.mkdtemp(prefix="hostile-tmp-"))  # the gradings' TMPDIR: what they leave there shows
    private_tmp.chmod(0o711)
    saved_tmpdir = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(private_tmp)
    try:
        results = grade_all(jobs)
    finally:
        if saved_tmpdir is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_tmpdir
    left_in_tmp = sorted(p.name for p in private_tmp.iterdir() if p.name.startswith("grader-"))
    shutil.rmtree(private_tmp, ignore_errors=True)
    out_when_done = _tree(base / "out")
    time.sleep(WATCH_OUT_SECONDS)
    return {
        "results": results,
        "out_when_done": out_when_done,
        "left_in_tmp": left_in_tmp,
        "out_later": _tree(base / "out"),
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
    report, _ = graded["results"][case_id]
    reference, _ = graded["results"].get(
        f"reference{_options(case)[0]}{() if case.module else _options(case)[1]}", (None, 0)
    )
    selected = [t for t in report["tests"] if t["status"] != "error" or t["message"]]
    assert all(t["status"] in ("passed", "failed") for t in selected), "no test left unreported or crashed"
    if reference is not None:
        wanted = [t["name"] for t in reference["tests"] if not case.module or t["task"].startswith(case.module + ".")]
        assert [t["name"] for t in report["tests"]] == wanted
    assert _real_time_waits(report) <= REAL_TIME_WAITS, case_id


def _real_time_waits(report: dict[str, Any]) -> int:
    """How many runs of the grading waited out the real-time limit (the others end on the simulated clock)."""
    return sum("(real time)" in t["message"] for t in report["tests"])


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


def test_hidden_tests_answer_key_and_solutions_cannot_be_read(graded):
    report, _ = graded["results"]["reads_secrets"]
    assert report["sandbox"]["isolation"]
    assert [t["name"] for t in report["tests"] if "LEAKED" in t["output"]] == []


def _escaped(report: dict[str, Any]) -> list[str]:
    """Lines of learner output that show an attack got through: a secret, a backdoor, a forged
    result outside the learner's own folder."""
    lines = [line for t in report["tests"] for line in t["output"].splitlines()]
    forged = [line for line in lines if line.startswith("FORGED") and "/learner" not in line]
    return [line for line in lines if line.startswith(ESCAPED)] + forged


@pytest.mark.parametrize("case_id", [c.id for c in CASES if c.escape])
def test_escapes_gain_nothing(graded, case_id):
    report, _ = graded["results"][case_id]
    assert _escaped(report) == []
    assert report["sandbox"]["hidden_tests_allowed"] == isolation()["hidden_tests_allowed"]


def test_out_is_unchanged_after_the_grader_exits(graded):
    assert graded["out_later"] == graded["out_when_done"]
    for case in CASES:
        written = json.loads((graded["out"] / case.id / "results.json").read_text(encoding="utf-8"))
        assert written == json.loads(json.dumps(graded["results"][case.id][0])), case.id


def test_temporary_folders_are_removed(graded):
    assert graded["left_in_tmp"] == []


def test_a_hang_at_import_costs_one_timeout(graded):
    report, seconds = graded["results"]["hangs_at_import"]
    timeouts = [t for t in report["tests"] if "did not return within" in t["message"]]
    assert len(timeouts) == 1, [t["name"] for t in timeouts]
    assert all("did not finish in an earlier check" in t["message"] for t in report["tests"] if t not in timeouts)


def test_lone_surrogates_are_replaced(graded):
    report, _ = graded["results"]["lone_surrogate"]
    raw = (graded["out"] / "lone_surrogate" / "results.json").read_bytes()
    text = raw.decode("utf-8")  # strict: it would fail on an encoded surrogate
    assert "bad text \ufffd and \ufffd here" in text
    assert "bad text \ufffd and \ufffd here" in report_module.render(report)


def test_hostile_text_reaches_the_report_and_console_inert(graded):
    report, _ = graded["results"]["hostile_text"]
    raw = (graded["out"] / "hostile_text" / "results.json").read_bytes().decode("utf-8")
    stats = [t for t in report["tests"] if t["task"] == "producer.stats" and t["status"] == "failed"]
    assert stats and "grader-title" in stats[0]["message"] and "grader-title" in stats[0]["output"]
    assert unsafe_in(raw) == [] and unsafe_in(report_module.render(report, failures_per_task=9)) == []


def test_every_report_says_which_sandbox(graded):
    expected = isolation()
    for case in CASES:
        sandbox = graded["results"][case.id][0]["sandbox"]
        assert sandbox["isolation"] == expected["isolation"], case.id
    assert " Sandbox: " + expected["isolation"] in report_module.render(graded["results"]["fake_output"][0])


def test_hidden_tests_are_not_run_where_learner_code_could_read_them(monkeypatch):
    """Without Landlock, learner code could read grader/hidden: the grader then grades the public tests only."""
    from grader.pipeline import grade
    from grader.sandbox import isolation as probe

    monkeypatch.setattr(probe, "_ISOLATION", {})
    monkeypatch.setenv("GRADER_SANDBOX_NO_LANDLOCK", "1")
    report = grade.grade(REFERENCE, include_hidden=True, extra_args=["-k", "choice_answer"], processes=1)
    assert report["hidden_tests"] == "absent"
    assert report["sandbox"]["hidden_tests_allowed"] is False and "no Landlock" in report["sandbox"]["isolation"]
    assert "hidden tests not run" in report["sandbox"]["hidden_tests_skipped"]
    assert report["tests"] and not [t for t in report["tests"] if t["hidden"]]


def test_gradebook_cells_are_never_formulas(tmp_path):
    tasks = manifest.load()
    written_id = gradebook.written_tasks(tasks)[0].id
    report = {
        "score": 1.0,
        "max_score": 100.0,
        "status": "fail",
        "tasks": [],
        "problems": ["-2+3"],
        "manual": [{"id": written_id, "answer": '=HYPERLINK("http://127.0.0.1/","x")'}],
    }
    rows = [gradebook.row(name, report, "", tasks) for name in ("=1+1", "+1", "@SUM(A1)", "\tx", "\rx", "plain")]
    path = tmp_path / "gradebook.csv"
    gradebook.write_csv(path, gradebook.columns(tasks), rows)
    with path.open(encoding="utf-8", newline="") as stream:
        cells = [cell for line in csv.reader(stream) for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=1+1" in cells and "plain" in cells and "'-2+3" in cells
    assert '\'=HYPERLINK("http://127.0.0.1/","x")' in cells


# --- the other environments the machine can make -------------------------------------------------


def _processes_with(marker: str) -> list[dict[str, Any]]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if marker in " ".join(process.info["cmdline"] or []):
            found.append(process.info)
    return found


@pytest.fixture(scope="module", params=environment.ENVIRONMENTS)
def elsewhere(request, graded) -> dict[str, Any]:
    """The escape cases graded in one other environment, from outside it, as a fresh process."""
    name = request.param
    why = environment.unavailable(name)
    if why:
        pytest.skip(f"{name}: {why}")
    base = Path(tempfile.mkdtemp(prefix="hostile-env-"))
    try:
        base.chmod(0o755)  # an ordinary user grades here
        jobs = []
        for case in ESCAPES:
            materialize(base / case.id, case.patches, case.overlay, case.generate)
            jobs.append([case.id, str(base / case.id / "exercises"), case.extra_args, str(base / "out" / case.id)])
        (base / "out").mkdir()
        for path in [base, *base.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o644)
        config = base / "config.json"
        config.write_text(json.dumps({"jobs": jobs, "result": str(base / "out" / "result.json")}), encoding="utf-8")
        repo_before = _untracked_and_changed()
        command, options = environment.command(name, config)
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, **options)
        seconds = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-2000:]
        out_when_done = _tree(base / "out")
        time.sleep(WATCH_OUT_SECONDS)
        yield {
            "name": name,
            "results": json.loads((base / "out" / "result.json").read_text(encoding="utf-8")),
            "seconds": seconds,
            "out_when_done": out_when_done,
            "out_later": _tree(base / "out"),
            "out": base / "out",
            "repo_before": repo_before,
            "repo_after": _untracked_and_changed(),
            "left": _processes_with(MARKER),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_escapes_fail_in_every_environment(graded, elsewhere):
    for case in ESCAPES:
        report, _ = elsewhere["results"][case.id]
        where = f"{elsewhere['name']}/{case.id}"
        got, reference = task_scores(report), _baseline(graded, case)
        for task, points in reference.items():  # the broken tasks lose points, nothing else changes
            assert got[task] < points if task in case.loses else got[task] == points, (where, task, got[task], points)
        assert report["problems"] == [], where
        assert _escaped(report) == [], where
        assert all(t["status"] in ("passed", "failed") for t in report["tests"]), where
        assert _real_time_waits(report) <= REAL_TIME_WAITS, where
        assert report["sandbox"]["hidden_tests_allowed"], (where, report["sandbox"])
        written = json.loads((elsewhere["out"] / case.id / "results.json").read_text(encoding="utf-8"))
        assert written == report, where
    assert elsewhere["out_later"] == elsewhere["out_when_done"]
    assert elsewhere["repo_after"] == elsewhere["repo_before"]
    assert elsewhere["left"] == []


def test_each_environment_gets_its_isolation(elsewhere):
    """Which isolation each environment gets on a machine with Landlock ABI 6 or later."""
    if isolation()["landlock_abi"] < 6:
        pytest.skip("the expected isolations are those of a kernel with Landlock ABI 6 or later")
    sandbox = next(iter(elsewhere["results"].values()))[0]["sandbox"]
    expected = {
        "root_without_cap_sys_admin": ("a uid of its own per worker", "user+mount+pid+network namespaces"),
        "root_in_a_default_container": ("a uid of its own per worker",),
        "user_with_userns": ("(the grader's own)", "user+mount+pid+network namespaces"),
        "user_without_userns": ("(the grader's own)", ""),
    }[elsewhere["name"]]
    assert all(part in sandbox["isolation"] for part in expected), sandbox
    if elsewhere["name"] in ("user_without_userns", "root_in_a_default_container"):
        assert "namespaces" not in sandbox["isolation"]


def test_learner_code_is_not_run_where_only_root_could_run_it(monkeypatch):
    """As root, with an interpreter other users cannot enter and no namespace to show it to
    them, learner code would have to run as root: it is not run, and the report says why."""
    from grader.pipeline import grade
    from grader.sandbox import isolation as probe

    if os.geteuid() != 0 or all(probe._open_to_others(Path(p)) for p in probe._interpreter_paths()):
        pytest.skip("only as root with an interpreter other users cannot enter (e.g. Python under /root)")
    monkeypatch.setattr(probe, "_ISOLATION", {})
    monkeypatch.setenv("GRADER_SANDBOX_NO_NAMESPACES", "1")
    report = grade.grade(REFERENCE, include_hidden=True, extra_args=["-k", "producer and stats"], processes=1)
    assert report["status"] == "error" and report["score"] == 0
    assert report["problems"][0].startswith("learner code was not run: learner code never runs as root")
    assert "refused" in report["sandbox"]["isolation"] and report["hidden_tests"] == "absent"
    code_tests = [t for t in report["tests"] if t["task"].startswith("producer.")]
    assert code_tests and all("the sandbox refused to run this code" in t["message"] for t in code_tests)


# --- a checkout other users cannot enter -----------------------------------------------------------

# Grades the jobs of a JSON config (``[name, exercises, include_hidden, extra_args, out]`` each) and
# writes ``{name: [report, seconds]}`` to its ``result``; run by the copy's own interpreter, from the copy.
PRIVATE_DRIVER = """
import json, sys
from pathlib import Path
from tests.mutants.patching import Job, grade_all
config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
jobs = [Job(name, Path(ex), hidden, list(extra), Path(out)) for name, ex, hidden, extra, out in config["jobs"]]
Path(config["result"]).write_text(json.dumps(grade_all(jobs)), encoding="utf-8")
"""


def _copy_project(target: Path) -> None:
    """The project as it is now (tracked and new files, its venv), and a history holding the reference."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith(".venv"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    subprocess.run(["cp", "-a", str(Path(sys.prefix)), str(target / ".venv")], check=True)
    git = ["git", "-C", str(target), "-c", "user.name=grader", "-c", "user.email=grader@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "solutions", "grader/hidden"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "reference"], check=True)


def test_a_checkout_in_a_private_folder_is_graded_fully_and_still_hides_its_secrets(tmp_path):
    """The project, its venv and the temporary folder all beneath a folder only root may enter (a
    CI runner's private workspace, pytest's own /tmp/pytest-of-root): learner code, as nobody,
    still imports every package it needs and reads its exercises copy, so the reference gets
    full marks; the rest of the checkout stays out of its reach."""
    if os.geteuid() != 0:
        pytest.skip("only as root: any other grader runs learner code as its own user, which reaches its own folders")
    if Path(sys.prefix) == Path(sys.base_prefix):
        pytest.skip("the grader's interpreter is no venv here: there is no venv to copy into the private folder")
    if not isolation()["plan"]["pid"]:
        pytest.skip("no namespace can be made here: the folders cannot be shown to the sandbox's user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    repo, temp, subs = private / "repo", private / "tmp", private / "submissions"
    for folder in (repo, temp, subs):
        folder.mkdir(mode=0o755)
    _copy_project(repo)
    case = BY_ID["steals_the_reference"]
    materialize(subs / case.id, case.patches, case.overlay, case.generate)
    jobs = [
        ["reference", str(repo / "solutions"), True, [], str(private / "out" / "reference")],
        [
            case.id,
            str(subs / case.id / "exercises"),
            case.include_hidden,
            case.extra_args,
            str(private / "out" / case.id),
        ],
    ]
    config = private / "config.json"
    config.write_text(json.dumps({"jobs": jobs, "result": str(private / "result.json")}), encoding="utf-8")
    grader_files = {path: path.read_bytes() for path in (repo / "grader").rglob("*.py")}
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(private),
        "TMPDIR": str(temp),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    assert not os.stat(private).st_mode & 0o007  # other users cannot enter it
    done = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-c", PRIVATE_DRIVER, str(config)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((private / "result.json").read_text(encoding="utf-8"))
    reference, _ = results["reference"]
    assert "mount" in reference["sandbox"]["isolation"], reference["sandbox"]  # the venv must be shown to nobody
    assert reference["problems"] == [] and reference["hidden_tests"] != "absent", reference["problems"]
    assert (reference["score"], reference["max_score"]) == (100, 100), [
        (t["name"], t["message"][:300]) for t in reference["tests"] if t["score"] < t["max_score"]
    ][:5]
    stolen, _ = results[case.id]
    assert stolen["problems"] == [] and _escaped(stolen) == []
    scores, full = task_scores(stolen), {t.id: float(t.points) for t in manifest.load()}
    assert all(scores[task] < full[task] for task in case.loses), scores  # the reference it sought never ran
    assert all(scores[task] <= full[task] for task in scores)
    assert {path: path.read_bytes() for path in (repo / "grader").rglob("*.py")} == grader_files  # no backdoor
    assert sorted(p.name for p in temp.iterdir()) == []  # the gradings removed their temporary folders
