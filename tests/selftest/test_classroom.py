"""Self-tests of the GitHub Classroom workflow and of ``python -m grader classroom``."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader import release
from grader.platform import classroom

ROOT = release.ROOT
TEST_KEYS = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}


def _workflow() -> dict[Any, Any]:
    return yaml.safe_load(release.WORKFLOW_TEMPLATE.read_text(encoding="utf-8"))


def _decode(output_file: Path) -> dict[str, Any]:
    """The last ``result=`` written to a $GITHUB_OUTPUT file, decoded and checked against the reporter's format."""
    lines = [line for line in output_file.read_text(encoding="utf-8").splitlines() if line.startswith("result=")]
    assert lines, "no result in GITHUB_OUTPUT"
    result = json.loads(base64.b64decode(lines[-1].removeprefix("result=")))
    assert set(result) == {"version", "status", "max_score", "tests"}
    assert result["version"] == 1 and result["status"] in ("pass", "fail", "error")
    assert isinstance(result["max_score"], int) and result["max_score"] > 0
    assert isinstance(result["tests"], list) and result["tests"]
    for test in result["tests"]:
        assert set(test) == TEST_KEYS
        assert test["status"] in ("pass", "fail", "error") and isinstance(test["score"], int | float)
        assert isinstance(test["line_no"], int) and isinstance(test["duration"], int)
    return result


def test_workflow_has_the_form_classroom_generates() -> None:
    flow = _workflow()
    assert flow["name"] == "Autograding Tests"
    assert flow[True] == ["push", "repository_dispatch"]  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = flow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = job["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"] == {"python-version": "3.11", "cache": "pip", "cache-dependency-path": "requirements.lock"}
    assert any(s.get("run") == "make venv" for s in steps)
    grader = next(s for s in steps if s.get("id") == "grader")
    assert "python -m grader classroom" in grader["run"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"] == {"runners": "grader"}
    assert reporter["env"] == {"GRADER_RESULTS": "${{ steps.grader.outputs.result }}"}
    # The token is in the environment of the fetching step only.
    with_secrets = [s for s in steps if "secrets." in json.dumps(s)]
    assert len(with_secrets) == 1 and "HIDDEN_TESTS_TOKEN" in with_secrets[0]["env"]
    assert "vars.HIDDEN_TESTS_REPO" in with_secrets[0]["if"]
    assert steps.index(with_secrets[0]) < steps.index(grader)
    checked = subprocess.run(["bash", "-n", "-c", with_secrets[0]["run"]], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def _borrowed_venv(repo: Path) -> None:
    """A .venv that reuses this interpreter's packages, so `make venv` has nothing to install."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True, timeout=120)
    site = next((repo / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    os.utime(repo / "requirements.lock", (0, 0))
    (repo / ".venv" / ".installed").touch()


def test_workflow_run_steps_in_order_give_a_reporter_result(tmp_path: Path) -> None:
    repo = tmp_path / "learner"
    release.build_student(repo)
    _borrowed_venv(repo)
    output = tmp_path / "github_output"
    output.touch()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path)}
    log = ""
    for step in yaml.safe_load((repo / ".github/workflows/classroom.yml").read_text(encoding="utf-8"))["jobs"]["run-autograding-tests"]["steps"]:
        if "run" not in step or "vars.HIDDEN_TESTS_REPO" in step.get("if", ""):
            continue  # actions run on GitHub only; no hidden-tests repository is configured here
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{step['name']}: {done.stderr[-2000:]}"
        log += done.stdout
    result = _decode(output)
    assert result["status"] == "fail" and sum(t["score"] for t in result["tests"]) == 0
    assert "Only the public tests ran" in log
    assert not any(t["name"].startswith("hidden") or ": hidden: " in t["name"] for t in result["tests"])


def test_submission_that_exits_at_import_still_gives_a_result(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    shutil.copytree(ROOT / "exercises", submission / "exercises")
    for name in ("enhanced_producer.py", "enhanced_consumer.py"):
        (submission / "exercises" / name).write_text("import os\n\nos._exit(0)\n", encoding="utf-8")
    output = tmp_path / "github_output"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"GITHUB_OUTPUT": str(output)}
    done = subprocess.run([sys.executable, "-m", "grader", "classroom", "--submission", str(submission)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = _decode(output)
    assert result["status"] in ("fail", "error")
    assert sum(t["score"] for t in result["tests"]) == 0
    assert len(result["tests"]) >= 10


def test_grader_crash_still_gives_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setattr(classroom, "grading_command", lambda submission, out: [sys.executable, "-c", "import os; os._exit(7)"])
    assert classroom.main(["--submission", str(tmp_path)]) == 0
    result = _decode(output)
    assert result["status"] == "error" and result["max_score"] == 100
    assert result["tests"][-1]["name"] == "autograder" and "exit code 7" in result["tests"][-1]["message"]
