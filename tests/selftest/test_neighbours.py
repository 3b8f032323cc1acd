"""A hostile submission graded in a batch beside copies of the reference spoils none of them.

Each environment the machine can make grades one batch with ``instructor.batch``'s grade-all,
two at a time, as the instructor would: as root, the six attacks of
``tests/submissions/hostile/neighbours.py`` (one submission each) beside two reference copies;
elsewhere (root with Landlock off through its switch, root without CAP_SYS_ADMIN, a default
container, an ordinary user with and without user namespaces) one submission carrying all
of them but the slow one (``waits_under_the_limit``) beside one copy, to keep the suite short.
Every copy keeps full marks, every attacker scores 0 with a complete report, and the
checkout, OUT, the temporary folder, the processes and the cgroups are left as they were.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader.sandbox import uids
from tests.selftest.test_hostile import _tree, _untracked_and_changed
from tests.submissions.hostile import environment, neighbours

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("root", "root_without_landlock", *environment.ENVIRONMENTS)
EVERY_ATTACK = list(neighbours.ATTACKS)
QUICK_ATTACKS = [name for name in EVERY_ATTACK if name != "waits_under_the_limit"]
# The part's 60 s budget of real time for learner code, the grader's own work around it, and
# two gradings sharing a busy machine's two cores.
GRADING_SECONDS = 150
WATCH_OUT_SECONDS = 1.5
CGROUPS = [Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")]


def _learner_processes() -> list[Any]:
    """Processes running as one of the uids workers give learner code, given a few seconds to
    finish dying (a namespace's processes are killed, not reaped, when its pid 1 ends)."""
    found: list[Any] = []
    for _ in range(50):
        found = []
        for process in psutil.process_iter(["pid", "uids", "status"]):
            ids = process.info["uids"]
            if ids is not None and ids.real in uids.UID_RANGE and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process.info["pid"])
        if not found:
            return found
        time.sleep(0.2)
    return [f"{pid}: {' '.join(psutil.Process(pid).cmdline())[:200]}" for pid in found if psutil.pid_exists(pid)]


def _cgroups() -> list[str]:
    return sorted(str(p) for folder in CGROUPS if folder.is_dir() for p in folder.glob("grader-*"))


def _left_cgroups(before: list[str]) -> list[str]:
    """Workers' cgroups made since ``before`` and left with no process in them (a worker's own is
    removed when it ends; other gradings on the machine may hold theirs meanwhile)."""
    left: list[str] = []
    for _ in range(20):
        left = []
        for group in set(_cgroups()) - set(before):
            try:
                if not (Path(group) / "cgroup.procs").read_text().split():
                    left.append(group)
            except OSError:
                continue
        if not left:
            return left
        time.sleep(0.2)
    return left


def _combined(folder: Path) -> None:
    """One submission carrying every quick attack at once (``all_attacks``)."""
    neighbours.write_batch(folder, QUICK_ATTACKS[:1], 0)
    (folder / QUICK_ATTACKS[0]).rename(folder / "all_attacks")
    for module in neighbours.MODULES:
        path = folder / "all_attacks" / "exercises" / module
        extra = "\n".join(neighbours.ATTACKS[name] for name in QUICK_ATTACKS[1:])
        path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def batch(request) -> Any:
    name = request.param
    why = environment.unavailable(name)
    if why:
        pytest.skip(f"{name}: {why}")
    base = Path(tempfile.mkdtemp(prefix="neighbours-"))
    try:
        base.chmod(0o755)
        submissions, out, temp = base / "submissions", base / "out", base / "tmp"
        submissions.mkdir()
        if name == "root":
            neighbours.write_batch(submissions, EVERY_ATTACK, 2)
        else:
            _combined(submissions)
            neighbours.write_batch(submissions, [], 1)
        out.mkdir()
        temp.mkdir()
        for path in [base, *base.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o644)
        temp.chmod(0o1777)
        before = {folder.name: _tree(folder) for folder in submissions.iterdir()}
        config = base / "config.json"
        result = base / "result.json"
        config.write_text(
            json.dumps({"batch": str(submissions), "out": str(out), "jobs": 2, "result": str(result)}),
            encoding="utf-8",
        )
        repo_before, cgroups_before = _untracked_and_changed(), _cgroups()
        command, options = environment.command(name, config)
        options["env"] = {**options["env"], "TMPDIR": str(temp)}
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, **options)
        assert done.returncode == 0, done.stderr[-3000:]
        out_when_done = _tree(out)
        time.sleep(WATCH_OUT_SECONDS)
        yield {
            "name": name,
            "results": json.loads(result.read_text(encoding="utf-8")),
            "stderr": done.stderr,
            "out_when_done": out_when_done,
            "out_later": _tree(out),
            "submissions_before": before,
            "submissions_after": {folder.name: _tree(folder) for folder in submissions.iterdir()},
            "left_in_tmp": sorted(p.name for p in temp.iterdir()),
            "repo_before": repo_before,
            "repo_after": _untracked_and_changed(),
            "cgroups_left": _left_cgroups(cgroups_before),
            "learner_processes": _learner_processes(),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _attackers(batch: dict[str, Any]) -> dict[str, Any]:
    return {name: found for name, found in batch["results"].items() if not name.startswith("reference-")}


def test_every_reference_copy_keeps_full_marks(batch):
    copies = {name: found for name, found in batch["results"].items() if name.startswith("reference-")}
    assert copies
    for name, (report, seconds, error) in copies.items():
        where = f"{batch['name']}/{name}"
        assert error == "" and report is not None, (where, error)
        lost = [(t["name"], t["message"][:300]) for t in report["tests"] if t["score"] < t["max_score"]]
        assert report["score"] == report["max_score"] and not lost, (where, lost[:3])
        assert report["problems"] == [], where
        assert seconds < GRADING_SECONDS, f"{where} took {seconds:.0f} s"


def test_every_attacker_scores_nothing_with_a_complete_report(batch):
    reference = batch["results"]["reference-1"][0]
    for name, (report, seconds, error) in _attackers(batch).items():
        where = f"{batch['name']}/{name}"
        assert error == "" and report is not None, (where, error)
        assert report["score"] == 0, where
        assert [t["name"] for t in report["tests"]] == [t["name"] for t in reference["tests"]], where
        assert all(t["status"] in ("passed", "failed") for t in report["tests"]), where
        assert seconds < GRADING_SECONDS, f"{where} took {seconds:.0f} s"


def test_the_server_counts_calls_made_around_the_clock(batch):
    """The forged reads never passed botocore's send, where the run's own count is: the server's
    count stopped them (past 600 calls, or at the real-time limit while they went on)."""
    if batch["name"] != "root":
        pytest.skip("graded as root only: the submission carrying every attack may not get as far as get_stats")
    report = batch["results"]["forges_the_clock"][0]
    stopped = ("made more than 600 calls to Kinesis", "still calling Kinesis when its real time ran out")
    stats = [t for t in report["tests"] if "get_stats" in t["message"] and any(s in t["message"] for s in stopped)]
    assert stats, [t["message"][:200] for t in report["tests"] if t["task"] == "producer.stats"]


def test_waiting_in_every_run_is_cut_by_the_part_budget(batch):
    if batch["name"] != "root":
        pytest.skip("graded as root only: the part's budget is kept the same way everywhere")
    report = batch["results"]["waits_under_the_limit"][0]
    assert any("time budget" in t["message"] for t in report["tests"])


def test_nothing_is_left_behind(batch):
    assert batch["submissions_after"] == batch["submissions_before"]
    assert batch["out_later"] == batch["out_when_done"]
    assert batch["repo_after"] == batch["repo_before"]
    assert batch["left_in_tmp"] == []
    assert batch["learner_processes"] == []
    assert batch["cgroups_left"] == []
    assert "Traceback" not in batch["stderr"]
