"""Walks the learner README's commands in a fresh clone of the learner release.

A newcomer clones the release, runs what the README tells them, fills in the exercise and
runs it again. Each command must exit as the README documents, and every `make` command the
README names must be a real target of the released Makefile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from instructor import release

ROOT = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.name=Walkthrough", "-c", "user.email=walk@example.invalid", "-c", "init.defaultBranch=main"]
# The venv the self-tests run in stands in for the clone's .venv (building one takes a minute).
VENV = Path(sys.prefix)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh git clone of the learner release, as a learner gets it."""
    base = tmp_path_factory.mktemp("walkthrough")
    assert release.main(["student", str(base / "release")]) == 0
    subprocess.run([*GIT, "init", "-q"], cwd=base / "release", check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=base / "release", check=True)
    subprocess.run([*GIT, "commit", "-qm", "template"], cwd=base / "release", check=True)
    subprocess.run([*GIT, "clone", "-q", str(base / "release"), str(base / "learner")], check=True)
    return base / "learner"


def make(clone: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Run a make command in the clone, as the README writes it."""
    return subprocess.run(["make", f"VENV={VENV}", *args], cwd=clone, capture_output=True, text=True, timeout=timeout)


def readme_make_commands(readme: str) -> set[str]:
    """Every `make <target>` the README shows, inline or in a code block."""
    return set(re.findall(r"(?:^|`)make ([a-z][a-z-]*)", readme, flags=re.M))


def test_every_command_in_the_readme_is_a_target(clone: Path) -> None:
    makefile = (clone / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    named = readme_make_commands((clone / "README.md").read_text(encoding="utf-8"))
    assert {"check", "run", "watch", "hint", "help"} <= named
    assert named <= targets, f"the README names targets the Makefile lacks: {named - targets}"


def test_the_readme_walkthrough(clone: Path) -> None:
    # 1. Set up and check the untouched exercise: everything fails, exit status non-zero.
    first = make(clone, "check")
    assert first.returncode != 0, first.stdout + first.stderr
    assert "Score: 0/" in first.stdout and "Traceback" not in first.stdout + first.stderr
    assert "hidden checks" in first.stdout.lower()
    # 2. The helpers the README points to.
    assert make(clone, "help").returncode == 0
    hint = make(clone, "hint", "TASK=producer.counters")
    assert hint.returncode == 0 and "bytes" in hint.stdout
    # 3. Running stubbed code says which method is still a TODO, without a traceback.
    stubbed = make(clone, "run")
    assert stubbed.returncode != 0 and "TODO" in stubbed.stdout + stubbed.stderr
    assert "Traceback" not in stubbed.stdout + stubbed.stderr
    # 4. The learner completes the exercise (here: with the reference) and checks again.
    for path in (ROOT / "solutions").iterdir():
        if path.is_file():
            shutil.copyfile(path, clone / "exercises" / path.name)
    done = make(clone, "check")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "All done" in done.stdout
    # 5. Their code runs for real, and the experiments run and stop by themselves.
    ran = make(clone, "run")
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    for experiment in ("experiment-producers", "experiment-consumers", "experiment-filter"):
        result = make(clone, experiment)
        assert result.returncode == 0, experiment + result.stdout[-2000:] + result.stderr[-2000:]
    # 6. Nothing was written into the tracked files but the learner's own exercises/.
    changed = subprocess.run(
        [*GIT, "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert {line[3:].split("/")[0] for line in changed.splitlines()} <= {"exercises"}, changed
