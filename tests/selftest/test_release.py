"""Self-tests of the learner release: what it holds, what it must never hold, and that it grades."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from instructor import learner_copy, release, stubs

ROOT = Path(release.__file__).resolve().parent.parent
GIT = [
    "git",
    "-c",
    "user.name=Release Test",
    "-c",
    "user.email=release@example.invalid",
    "-c",
    "init.defaultBranch=main",
]


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One learner release for the whole module."""
    out = tmp_path_factory.mktemp("release") / "student"
    assert release.main(["student", str(out)]) == 0
    return out


def _text_files(folder: Path) -> dict[str, str]:
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(folder).parts:
            texts[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def _region_lines(text: str) -> list[str]:
    """Lines inside solution regions."""
    inside, lines = False, []
    for line in text.splitlines():
        if stubs.BEGIN_RE.match(line):
            inside = True
        elif stubs.END_RE.match(line):
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def test_release_holds_the_learner_files(student: Path) -> None:
    files = set(_text_files(student))
    for expected in (
        "exercises/enhanced_producer.py",
        "exercises/enhanced_consumer.py",
        "exercises/checkpoint.md",
        "tests/public/test_producer.py",
        "grader/__main__.py",
        "grader/pipeline/grade.py",
        "grader/manifest.toml",
        "Makefile",
        "requirements.lock",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/classroom.yml",
    ):
        assert expected in files
    for name in files:
        assert not name.startswith(("solutions/", "grader/hidden/", "tests/selftest/", ".ci/")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
    for path in ROOT.joinpath("exercises").iterdir():
        if path.is_file():
            assert (student / "exercises" / path.name).read_bytes() == path.read_bytes()


def test_release_holds_no_solution_marker_body_or_key(student: Path) -> None:
    texts = _text_files(student)
    stub_text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "exercises").glob("*.py"))
    # Kinesis calls of the reference bodies: the part of a solution a learner has to write.
    telling = {
        line
        for source in (ROOT / "solutions").glob("*.py")
        for line in _region_lines(source.read_text(encoding="utf-8"))
        if "kinesis." in line and len(line) >= 25 and line not in stub_text
    }
    assert len(telling) >= 5
    key = ROOT / "grader" / "hidden" / "answer_key.toml"
    explanations = (
        [line.strip() for line in key.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 40]
        if key.is_file()
        else []
    )
    written = [
        line
        for line in _region_lines((ROOT / "solutions" / "checkpoint.md").read_text(encoding="utf-8"))
        if len(line) > 40
    ]
    for name, text in texts.items():
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text, name
        assert "answer_key" not in name, name
        found = {line.strip() for line in text.splitlines()}
        assert not telling & found, f"{name} holds reference code: {sorted(telling & found)[:2]}"
        assert not [line for line in explanations + written if line in text], f"{name} holds an answer"
    assert release.find_leaks(student) == []


def test_learner_makefile_has_no_instructor_targets(student: Path) -> None:
    made = subprocess.run(["make", "-s", "help"], cwd=student, capture_output=True, text=True, timeout=30, check=False)
    assert made.returncode == 0, made.stderr
    targets = {line.split()[1] for line in made.stdout.splitlines() if line.strip()}
    assert {"check", "hint", "venv"} <= targets
    assert not targets & {"release", "release-solutions", "stubs", "test", "grade-all", "nbgrader", "test-nbgrader"}
    makefile = (student / "Makefile").read_text(encoding="utf-8")
    assert "INSTRUCTOR" not in makefile and "nbgrader" not in makefile and "\n\n\n" not in makefile


def test_leaks_are_found_and_release_refused(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    shutil.copytree(ROOT / "exercises", planted / "exercises")
    (planted / "exercises" / "enhanced_producer.py").write_text(
        (ROOT / "solutions" / "enhanced_producer.py").read_text(encoding="utf-8")
    )
    leaks = release.find_leaks(planted)
    assert any("### BEGIN SOLUTION" in leak for leak in leaks)
    assert any("lines of the reference solution" in leak for leak in leaks)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    assert release.main(["student", str(tmp_path / "busy")]) == 1


def _grade_clone(clone: Path, out: Path) -> tuple[int, dict]:
    """Run the clone's own grader the way a learner does, public tests only."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", "--public-only", "--out", str(out)],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_clone_of_release_grades_stubs_zero_and_reference_full(student: Path, tmp_path: Path) -> None:
    template = tmp_path / "template"
    shutil.copytree(student, template)
    subprocess.run([*GIT, "init", "-q"], cwd=template, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=template, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "template"], cwd=template, check=True)
    clone = tmp_path / "clone"
    subprocess.run([*GIT, "clone", "-q", str(template), str(clone)], check=True)

    code, stub_result = _grade_clone(clone, tmp_path / "stubs-out")
    assert code != 0
    assert stub_result["score"] == 0 and stub_result["status"] == "fail"
    assert stub_result["hidden_tests"] == "absent"

    for source in (ROOT / "solutions").iterdir():
        if source.is_file():
            shutil.copy(source, clone / "exercises" / source.name)
    code, full = _grade_clone(clone, tmp_path / "full-out")
    assert code == 0, full["problems"]
    assert full["status"] == "pass" and full["score"] == full["max_score"] > 0


def test_learner_copy_names_only_commands_it_has(student: Path) -> None:
    """No `make grade` in the learner's help, no `make test` anywhere in what is shipped, and a
    front page of its own rather than a second copy of exercises/README.md."""
    done = subprocess.run(["make", "-s", "help"], cwd=student, capture_output=True, text=True, timeout=60, check=True)
    listed = {line.split()[1] for line in done.stdout.splitlines() if line.strip().startswith("make ")}
    assert {"check", "run", "watch", "hint", "help"} <= listed
    assert not listed & {"grade", "test", "tools", "lint", "stubs", "release", "grade-all"}, listed
    for name, text in _text_files(student).items():
        assert "make test" not in text, name
    front = (student / "README.md").read_bytes()
    assert front != (student / "exercises" / "README.md").read_bytes()
    assert b"exercises/README.md" in front


LEARNER_COMMANDS = ("grader.commands.run", "grader.commands.experiments", "grader.commands.watch", "grader")


def test_learner_copy_holds_no_instructor_material(student: Path) -> None:
    """Nothing outside grader/ names what learners do not have (solutions/, the self-tests, the
    instructor's venvs, the kinesalite install, instructor targets), and neither does the help of
    the commands they run: no `--code {exercises,solutions}`."""
    found = [
        finding
        for name, text in _text_files(student).items()
        for finding in learner_copy.instructor_material(name, text)
    ]
    assert found == []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for command in LEARNER_COMMANDS:
        helped = subprocess.run(
            [sys.executable, "-m", command, "--help"], cwd=student, env=env, capture_output=True, text=True, timeout=120
        )
        assert helped.returncode == 0, helped.stderr
        assert not learner_copy.is_instructor_material(helped.stdout), (command, helped.stdout)
    assert "testpaths" not in (student / "pyproject.toml").read_text(encoding="utf-8")
    made = subprocess.run(["make", "-n", "run"], cwd=student, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and "--code" not in made.stdout, made.stdout + made.stderr


def test_each_kind_of_instructor_material_is_found() -> None:
    """The instructor's own Makefile, pyproject.toml and .gitignore hold each kind; the scan
    finds every one of them, and the learner's versions keep none."""
    kinds = {
        "the kinesalite install of the self-tests": "Makefile",
        "the reference (solutions/)": "Makefile",  # CODE=solutions, make demo, make lint
        "the instructor's virtual environments (.venv-system and the like)": "Makefile",
        "the project's self-tests": "pyproject.toml",  # testpaths = ["tests/selftest"]
    }
    for what, name in kinds.items():
        text = (ROOT / name).read_text(encoding="utf-8")
        assert any(f"names {what}:" in finding for finding in learner_copy.instructor_material(name, text)), what
        learner_version = release.LEARNER_VERSIONS[name](text)
        assert learner_copy.instructor_material(name, learner_version) == [], name
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert learner_copy.instructor_material(".gitignore", gitignore)
    assert learner_copy.instructor_material(".gitignore", learner_copy.learner_lines(gitignore)) == []
    planted = "## run\nrun:\n\t@python -m grader.commands.run --code solutions\n"
    assert learner_copy.instructor_material("exercises/README.md", planted)
