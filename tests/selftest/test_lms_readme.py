"""The README's instructor steps for the deadline, the late policy and the LMS export run as
written: its extension file, its policy file and each of its make commands, in order, on a
collected learner repository (only the paths are pointed at temporary folders)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from instructor.lms import rawcsv

ROOT = Path(__file__).resolve().parents[2]
INPUT = ROOT / "tests" / "golden" / "lms" / "input"
SECTION = "### Deadline, late work and the LMS gradebook"
GIT = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.invalid", "-c", "init.defaultBranch=main"]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    return text[start : text.index("\n### ", start + len(SECTION))]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_readme_deadline_policy_and_export_commands_run_as_written(tmp_path: Path) -> None:
    section = _section()
    [extensions] = _blocks(section, "csv")
    [policy] = _blocks(section, "toml")
    (tmp_path / "extensions.csv").write_text(extensions, encoding="utf-8")
    (tmp_path / "late.toml").write_text(policy, encoding="utf-8")
    commands = [line for block in _blocks(section, "sh") for line in block.splitlines() if line.startswith("make ")]
    assert [c.split()[1] for c in commands] == ["grade-all", "apply-policy", *["export"] * 4]
    # One learner, named as GitHub Classroom knows them: the reference committed a day early.
    deadline = datetime.fromisoformat(re.search(r"DEADLINE=(\S+)", commands[0]).group(1))
    repo = tmp_path / "collected" / "ada-gh"
    (repo / "exercises").mkdir(parents=True)
    for source in (ROOT / "solutions").iterdir():
        if source.is_file():
            (repo / "exercises" / source.name).write_bytes(source.read_bytes())
    stamp = (deadline - timedelta(days=1)).isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "done"], cwd=repo, check=True, env=env)
    paths = {
        "../collected": tmp_path / "collected",
        "../grades": tmp_path / "grades",
        "extensions.csv": tmp_path / "extensions.csv",
        "late.toml": tmp_path / "late.toml",
        **{p.name: p for p in INPUT.glob("*.csv")},
    }
    for command in commands:
        words = shlex.split(command)
        for index, word in enumerate(words):
            name, _, value = word.partition("=")
            if value in paths:
                words[index] = f"{name}={paths[value]}"
        assert not any("../" in w for w in words), words
        done = subprocess.run(
            words, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False, env=os.environ.copy()
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    grades = tmp_path / "grades"
    canvas = rawcsv.read(grades / "canvas-import.csv")
    ada = next(r.values() for r in canvas.records if r.values()[3] == "ada")
    assert ada[-1] == "100" and canvas.records[1].values()[-1] == "100"
    unmatched = (grades / "canvas-import.unmatched.csv").read_text(encoding="utf-8")
    assert "grace" in unmatched and "zoe" in unmatched  # roster rows without a submission, listed
    classroom = rawcsv.read(grades / "classroom-import.csv")
    assert next(r.values() for r in classroom.records if r.values()[3] == "ada-gh")[-2:] == ["100", "100"]
