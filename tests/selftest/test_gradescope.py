"""Self-tests of the Gradescope autograder: the zip, the submission layouts, and results.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.pipeline.report import number
from grader.platform import gradescope
from instructor import gradescope_build
from tests.mutants.patching import grade_once

ROOT = gradescope_build.ROOT
MODULE_STYLE = ROOT / "tests" / "submissions" / "module_style" / "exercises"
HIDDEN = sorted(p.name for p in (ROOT / "grader" / "hidden").glob("test_*.py"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One autograder.zip for the module."""
    return gradescope_build.build(tmp_path_factory.mktemp("gradescope"))


def test_zip_has_the_scripts_at_its_root_and_the_grader_inside(archive: Path) -> None:
    with zipfile.ZipFile(archive) as packed:
        names = set(packed.namelist())
        for script in ("setup.sh", "run_autograder"):
            assert script in names
            assert (packed.getinfo(script).external_attr >> 16) & 0o111, f"{script} must be executable"
        assert "requirements.lock" in packed.read("setup.sh").decode()
    assert {
        "grader/__main__.py",
        "grader/pipeline/grade.py",
        "tests/public/test_producer.py",
        "requirements.lock",
    } <= names
    assert {f"grader/hidden/{name}" for name in HIDDEN} <= names
    assert not any(n.startswith(("solutions/", "exercises/")) or "__pycache__" in n for n in names)


def test_submission_layouts_are_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "exercises").mkdir(parents=True)
    (repo / "exercises" / "enhanced_producer.py").write_text("")
    (repo / "README.md").write_text("")
    assert gradescope.find_exercises(repo) == repo / "exercises"
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "enhanced_consumer.py").write_text("")
    assert gradescope.find_exercises(flat) == flat
    nested = tmp_path / "nested"
    (nested / "my-work").mkdir(parents=True)
    (nested / "my-work" / "checkpoint.md").write_text("")
    assert gradescope.find_exercises(nested) == nested / "my-work"
    (tmp_path / "empty").mkdir()
    assert gradescope.find_exercises(tmp_path / "empty") is None


def test_run_autograder_writes_results_json(archive: Path, tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as packed:
        packed.extractall(root / "source")
    (root / "submission").mkdir()
    for source in (ROOT / "solutions").iterdir():  # files at the top level, as a drag-and-drop upload
        if source.is_file():
            shutil.copy(source, root / "submission" / source.name)
    # The README's dry run: a Python given relative to the folder the script is started from.
    here = tmp_path / "here"
    (here / "bin").mkdir(parents=True)
    (here / "bin" / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": "bin/python",
    }
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["output_format"] == "md" and isinstance(results["execution_time"], int)
    tests = results["tests"]
    assert tests and all(t["name"] != "Autograder" for t in tests), results["output"]
    for test in tests:
        assert set(test) == {"name", "score", "max_score", "status", "output", "output_format", "visibility"}
        assert test["status"] in ("passed", "failed") and test["output_format"] == "md"
        hidden = ": hidden: " in test["name"]
        assert test["visibility"] == ("after_published" if hidden else "visible")
    public = [t for t in tests if t["visibility"] == "visible"]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in public)
    assert any(t["visibility"] == "after_published" for t in tests) == bool(HIDDEN)
    assert sum(t["max_score"] for t in tests) == pytest.approx(100 if HIDDEN else 94, abs=0.01)


def test_crash_still_writes_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "enhanced_producer.py").write_text("")
    monkeypatch.setattr(
        "grader.platform.classroom.grading_command", lambda s, o: [sys.executable, "-c", "import os; os._exit(5)"]
    )
    assert gradescope.run(tmp_path) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["tests"][-1]["name"] == "Autograder" and "exit code 5" in results["tests"][-1]["output"]
    assert "could not finish" in results["output"]
    empty = tmp_path / "empty-root"
    (empty / "submission").mkdir(parents=True)
    gradescope.run(empty)
    assert "no exercise files" in json.loads((empty / "results" / "results.json").read_text())["output"]


def test_hidden_totals_stay_hidden_until_published() -> None:
    """With hidden tests, the summary a learner sees at once adds up the visible tests only."""
    report = grade_once(MODULE_STYLE, include_hidden=True)
    assert report["hidden_tests"] == "included" and 0 < report["score"] < 100
    results = gradescope.to_gradescope(report, "", 1.0)
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    assert len(visible) < len(results["tests"])
    assert f"{report['score']:g}" not in results["output"] and "/ 100" not in results["output"]
    got, out_of = sum(t["score"] for t in visible), sum(t["max_score"] for t in visible)
    assert f"Visible checks: **{number(got)} / {number(out_of)}** points" in results["output"]
    public_report = grade_once(MODULE_STYLE, include_hidden=False)
    assert public_report["max_score"] < 100  # the multiple-choice points and hidden-only tasks wait for grading
    public = gradescope.to_gradescope(public_report, "", 1.0)
    totals = f"{number(public_report['score'])} / {number(public_report['max_score'])}"
    assert f"Automatic checks: **{totals}** points." in public["output"]


FAKE_PYTHON = (
    """#!/bin/sh
# A stand-in interpreter: VERSION_OK says whether it is 3.11 or newer; `-m venv DIR` makes a venv whose
# python accepts anything.
case "$1" in
  -c) exit "$VERSION_OK" ;;
  --version) echo "Python fake"; exit 0 ;;
"""
    '  -m) mkdir -p "$3/bin"; printf \'#!/bin/sh\necho "$0 $*" >> "%s"\n\' "$LOG" > "$3/bin/python"; '
    'chmod +x "$3/bin/python"; exit 0 ;;\n'
    """\
esac
exit 0
"""
)


@pytest.mark.parametrize("recent", [True, False])
def test_setup_uses_the_image_python_when_recent(archive: Path, tmp_path: Path, recent: bool) -> None:
    """Ubuntu 24.04: python3 is 3.12 and there is no python3.11 package, so none is installed. An older
    image gets python3.11 from apt."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as packed:
        packed.extractall(root / "source")
    fake = tmp_path / "bin"  # the only folder on PATH: fakes, and the few tools the script itself uses
    fake.mkdir()
    for tool in ("mkdir", "chmod", "cp", "rm"):
        (fake / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    (fake / "python3").write_text(FAKE_PYTHON.replace("$VERSION_OK", "0" if recent else "1"), encoding="utf-8")
    (tmp_path / "python3.11").write_text(FAKE_PYTHON.replace("$VERSION_OK", "0"), encoding="utf-8")
    # apt-get "installs" python3.11: it puts a recent fake interpreter on PATH.
    (fake / "apt-get").write_text(
        f'#!/bin/sh\necho "apt-get $*" >> "$LOG"\ncp {tmp_path}/python3.11 {fake}/python3.11\n'
        f"chmod +x {fake}/python3.11\n",
        encoding="utf-8",
    )
    for name in ("python3", "apt-get"):
        (fake / name).chmod(0o755)
    log = tmp_path / "log"
    log.touch()
    env = {"PATH": str(fake), "AUTOGRADER_ROOT": str(root), "LOG": str(log)}
    script = (root / "source" / "setup.sh").read_text(encoding="utf-8")
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text(encoding="utf-8")
    assert "-m pip install" in calls and "requirements.lock" in calls
    if recent:
        assert "apt-get" not in calls and "Python for the autograder: python3 " in done.stdout
    else:
        assert "apt-get install -y -qq python3.11 python3.11-venv" in calls
        assert "Python for the autograder: python3.11 " in done.stdout
