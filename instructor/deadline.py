"""Grading at a deadline: each repository at its last commit at or before the cut-off, by
commit date, read out of git into a private temporary folder (the learner's repository is
only read, never checked out or changed).

With a late policy (``instructor/late_policy.py``) commits after the deadline count until the
policy's cut-off, and ``choose = "best"`` grades every distinct ``exercises/`` among them. What
was graded is kept per learner in ``OUT/<learner>/history.json`` (every commit, and the results
of every ``exercises/`` tree graded), so a changed policy is applied without grading again.

Commit dates come from the learner's machine; a learner can set any date. Where a trusted time
matters, compare with the platform's push time (GitHub Classroom's ``submission_timestamp``).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from instructor.late_policy import Candidate, Policy, choose

HISTORY = "history.json"
NOT_SUBMITTED = "not submitted"
# A learner's repository is data, not configuration: no hooks, no fsmonitor, no pager, and
# readable whoever owns it (the grader may run as root on a runner's checkout).
GIT = [
    "git",
    *("-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"),
    *("-c", "log.showSignature=false", "-c", "core.pager=cat"),
]
GIT_TIMEOUT = 120
Grade = Callable[[Path, Path, float], "tuple[dict[str, Any] | None, str]"]


class DeadlineError(ValueError):
    """A deadline or an extension file that cannot be read as a time."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 time that names its zone (``2026-12-01T23:59:00+01:00`` or ``...Z``)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DeadlineError(f"{text!r} is not an ISO 8601 time, e.g. 2026-12-01T23:59:00+01:00") from None
    if moment.tzinfo is None:
        raise DeadlineError(f"{text!r} names no time zone: add one, e.g. +01:00 or Z")
    return moment


_RELATIVE = re.compile(r"^\+(\d+(?:\.\d+)?)\s*([dh])$")


def load_extensions(path: Path, deadline: datetime) -> dict[str, datetime]:
    """An extension file: CSV ``submission,deadline``, the deadline an ISO time with its zone
    or ``+2d`` / ``+36h`` after the class's deadline."""
    moved: dict[str, datetime] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        if not {"submission", "deadline"} <= set(reader.fieldnames or []):
            raise DeadlineError(f"{path}: needs the columns submission,deadline")
        for line, row in enumerate(reader, start=2):
            name, text = (row["submission"] or "").strip(), (row["deadline"] or "").strip()
            relative = _RELATIVE.match(text)
            if relative:
                amount, unit = float(relative.group(1)), relative.group(2)
                moved[name] = deadline + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
            else:
                try:
                    moved[name] = parse_time(text)
                except DeadlineError as error:
                    raise DeadlineError(f"{path} line {line}: {error}") from None
    return moved


@dataclass(frozen=True)
class Cutoff:
    """The class's deadline, the learners' extensions and the late policy."""

    deadline: datetime
    extensions: dict[str, datetime] = field(default_factory=dict)
    policy: Policy = Policy()

    def due(self, name: str) -> datetime:
        return self.extensions.get(name, self.deadline)

    def last(self, name: str) -> datetime:
        """The latest commit time that still counts for this learner."""
        return self.due(name) + self.policy.late_window


@dataclass
class Commit:
    sha: str
    time: datetime


def _git(repo: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], capture_output=True, text=text, timeout=GIT_TIMEOUT, check=False
    )


def history(repo: Path) -> list[Commit]:
    """Every commit reachable from HEAD, newest first (git's order), with its commit date."""
    done = _git(repo, "log", "--format=%H %cI", "HEAD")
    if done.returncode != 0:
        if _git(repo, "rev-parse", "--git-dir").returncode == 0:
            return []  # a repository without a commit: nothing was submitted
        raise DeadlineError(f"not a git repository ({done.stderr.strip()[-200:]}): a DEADLINE needs its history")
    commits = []
    for line in done.stdout.splitlines():
        sha, _, when = line.partition(" ")
        commits.append(Commit(sha, datetime.fromisoformat(when)))
    return commits


def trees_of(repo: Path, shas: list[str]) -> list[str]:
    """The id of each commit's ``exercises/`` tree ("" where it has none), asked of git in one
    call: equal ids, equal grades, so a commit that did not touch ``exercises/`` is not graded
    again."""
    if not shas:
        return []
    done = subprocess.run(
        [*GIT, "-C", str(repo), "cat-file", "--batch-check"],
        input="".join(f"{sha}:exercises\n" for sha in shas),
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != len(shas):
        raise DeadlineError(f"git cat-file failed: {done.stderr.strip()[-200:]}")
    return [parts[0] if len(parts) == 3 and parts[1] == "tree" else "" for parts in map(str.split, lines)]


def extract(repo: Path, sha: str, dest: Path) -> None:
    """The commit's ``exercises/`` written under ``dest`` (regular files and folders only)."""
    done = _git(repo, "archive", "--format=tar", sha, "exercises", text=False)
    if done.returncode != 0:
        raise DeadlineError(f"git archive {sha[:12]} failed: {done.stderr.decode(errors='replace')[-200:]}")
    with tempfile.TemporaryFile() as stream:
        stream.write(done.stdout)
        stream.seek(0)
        with tarfile.open(fileobj=stream) as archive:
            members = [m for m in archive.getmembers() if (m.isfile() or m.isdir()) and _inside(m.name)]
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
                archive.extractall(dest, members=members, filter="data")
            else:
                archive.extractall(dest, members=members)


def _inside(name: str) -> bool:
    """A member path that stays in the folder it is extracted to."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def grade_at_cutoff(
    folder: Path, target: Path, cutoff: Cutoff, fingerprint: str, grade: Grade, timeout: float, force: bool
) -> tuple[dict[str, Any] | None, str, bool]:
    """Grade the commits of ``folder`` the cut-off and policy allow; (report, error, skipped)."""
    name = folder.name
    try:
        commits = history(folder)
    except (DeadlineError, OSError, subprocess.SubprocessError) as error:
        return None, str(error), False
    last = cutoff.last(name)
    allowed = [c.sha for c in commits if c.time <= last]
    wanted = set(allowed[:1] if cutoff.policy.choose == "last" else allowed)
    try:
        tree_ids = trees_of(folder, [c.sha for c in commits])
    except (DeadlineError, OSError, subprocess.SubprocessError) as error:
        return None, str(error), False
    previous = _load(target / HISTORY) or {}
    cached = previous.get("trees", {}) if previous.get("fingerprint") == fingerprint and not force else {}
    # Every tree graded before and still on disk is kept, so a later policy can use it.
    trees = {
        tree: entry
        for tree, entry in cached.items()
        if tree in tree_ids and (not tree or (target / entry["folder"] / "results.json").is_file())
    }
    skipped = True
    for commit, tree in zip(commits, tree_ids, strict=True):
        if commit.sha in wanted and tree not in trees:
            skipped = False
            trees[tree] = _grade_commit(folder, commit, tree, target, grade, timeout)
    record_commits = [
        {"sha": c.sha, "time": c.time.isoformat(), "tree": tree} for c, tree in zip(commits, tree_ids, strict=True)
    ]
    record = {
        "fingerprint": fingerprint,
        "due": cutoff.due(name).isoformat(),
        "cutoff": last.isoformat(),
        "commits": record_commits,
        "trees": trees,
    }
    report, error = install(target, record, cutoff.policy)
    return report, error, skipped and bool(previous)


def _grade_commit(folder: Path, commit: Commit, tree: str, target: Path, grade: Grade, timeout: float) -> dict:
    """Grade one commit's ``exercises/`` in a private temporary copy; what the grader said."""
    where = f"commits/{tree[:16] or 'no-exercises'}"
    out = target / where
    out.mkdir(parents=True, exist_ok=True)
    if not tree:
        return {"folder": where, "score": None, "error": "no exercises/ folder at this commit: nothing to grade"}
    work = Path(tempfile.mkdtemp(prefix="at-deadline-"))
    try:
        extract(folder, commit.sha, work)
        report, error = grade(work, out, timeout)
    except (DeadlineError, OSError, tarfile.TarError, subprocess.SubprocessError) as failure:
        report, error = None, f"commit {commit.sha[:12]} could not be read: {failure}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if report is None or error:
        (out / "results.json").unlink(missing_ok=True)  # a failed grading is retried next time
    score = None if report is None or error else report.get("score")
    return {"folder": where, "score": score, "max_score": (report or {}).get("max_score"), "error": error}


def candidates_of(record: dict[str, Any], policy: Policy) -> list[Candidate]:
    """The commits of a learner's history.json that the policy's cut-off allows, newest first."""
    due = datetime.fromisoformat(record["due"])
    last = due + policy.late_window  # the policy's cut-off, which a changed policy may move
    record["cutoff"] = last.isoformat()
    candidates = []
    for order, entry in enumerate(record["commits"]):
        when = datetime.fromisoformat(entry["time"])
        if when <= last:
            tree = record["trees"].get(entry["tree"], {})
            candidates.append(Candidate(entry["sha"], when - due, tree.get("score"), order))
    return candidates


def install(target: Path, record: dict[str, Any], policy: Policy) -> tuple[dict[str, Any] | None, str]:
    """Choose the commit that counts under ``policy``, make its results the learner's
    results.json (with the commit and its time), and keep the choice in history.json."""
    candidates = candidates_of(record, policy)
    chosen = choose(candidates, policy)
    record["chosen"] = None
    results = target / "results.json"
    if chosen is None:
        _save(target / HISTORY, record)
        results.unlink(missing_ok=True)
        return None, f"{NOT_SUBMITTED}: no commit at or before {record['cutoff']}"
    entry = record["commits"][chosen.order]
    record["chosen"] = {"sha": chosen.sha, "time": entry["time"], "late_seconds": chosen.late.total_seconds()}
    if policy.choose == "best" and any(record["commits"][c.order]["tree"] not in record["trees"] for c in candidates):
        record["chosen"]["note"] = "not every commit before the cut-off was graded: run grade-all with this POLICY"
    _save(target / HISTORY, record)
    tree = record["trees"].get(entry["tree"])
    if tree is None:
        results.unlink(missing_ok=True)
        return None, f"commit {chosen.sha[:12]} was not graded: run grade-all again with this DEADLINE and POLICY"
    report = _load(target / tree["folder"] / "results.json")
    if report is None:
        results.unlink(missing_ok=True)
        return None, tree.get("error") or "the grader wrote no results.json"
    report["commit"] = {"sha": chosen.sha, "time": entry["time"], "due": record["due"]}
    _save(results, report)
    return report, ""


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
