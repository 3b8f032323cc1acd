"""Releases: the learner's repository (``student``) and the published answers (``solutions``).

``python -m instructor.release student OUT`` writes the repository learners clone (a GitHub
Classroom template): stubs, public tests, the grader without its hidden tests, and the
workflow that grades each push. Before anything is moved into OUT, the release is scanned
for leaks (solution markers, lines of the reference bodies, hidden tests, the answer key);
one leak and the release is refused.

``python -m instructor.release solutions OUT`` writes what is published after the deadline.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from grader import clauses, manifest, secrets
from grader.paths import ROOT
from instructor import stubs
from instructor.learner_copy import instructor_material, learner_lines, learner_makefile, learner_pyproject

WORKFLOW_TEMPLATE = ROOT / "grader" / "platform" / "classroom.yml"
TOP_LEVEL_FILES = ("Makefile", "requirements.lock", "pyproject.toml", ".gitignore")
# The top-level files learners get without their instructor material.
LEARNER_VERSIONS = {"Makefile": learner_makefile, "pyproject.toml": learner_pyproject, ".gitignore": learner_lines}
# Words the learner's copy must not contain anywhere: commands it does not have.
ABSENT_COMMANDS = ("make test", "make grade ", "make grade`")
MARKER_WORDS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS")
WINDOW = 3  # consecutive solution lines that, found together, are a leak
WINDOW_CHARACTERS = 60  # ...unless they are as short as ")", "return x", "break"


class ReleaseError(RuntimeError):
    """The release cannot be built, or would leak something."""


def _is_skipped(path: Path) -> bool:
    """Caches and dotfiles never travel."""
    return any(part == "__pycache__" or part.startswith(".") for part in path.parts) or path.suffix == ".pyc"


def _files(folder: Path) -> Iterator[Path]:
    """Regular files below ``folder`` (paths relative to ROOT), caches and dotfiles skipped."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_file() and not path.is_symlink() and not _is_skipped(path.relative_to(folder)):
            yield relative


def _grader_runtime() -> Iterator[Path]:
    """The grader files learners get: all of grader/ but what is secret (its hidden tests)."""
    for relative in _files(ROOT / "grader"):
        if not secrets.is_secret(relative.as_posix()):
            yield relative


def learner_readme() -> str:
    """The front page of the learner's repository: what to do first, the commands, the tasks.
    The full instructions stay in exercises/README.md, next to the code they are about."""
    tasks = manifest.load()
    rows = "\n".join(f"| {t.number} | `{t.id}` | {t.title} |" for t in tasks)
    return f"""# Kinesis producers and consumers

Build an event producer and an event consumer for Amazon Kinesis with boto3, and answer the
checkpoint questions. Everything runs on your machine: an embedded Kinesis starts when it is
needed, so you need no AWS account and no credentials.

**Start with [`exercises/README.md`](exercises/README.md)**: the tasks one by one, the ideas
behind them, and how to run and check your code.

## Commands

Python 3.11 or newer and `make` are all you need; the first command builds `.venv`.

| command | what it does |
| --- | --- |
| `make check` | grades your `exercises/` and explains every failure; exits 0 only when nothing is left to fix |
| `make watch` | checks again each time you save a file |
| `make run` | runs your producer, then your consumer, on the embedded Kinesis |
| `make hint TASK=<number or id>` | prints one task's hint |
| `make help` | lists every command, the experiments included |

Only `exercises/` is graded; changes elsewhere (tests, grader) are ignored. More checks
(hidden tests) run when your work is graded, and your instructor grades the written answers.
Each push is graded on GitHub too (the *Actions* tab): that score is early feedback.

## Tasks

| # | id | what |
|---|----|------|
{rows}
"""


def _solution_windows(text: str) -> set[tuple[str, ...]]:
    """Runs of WINDOW consecutive lines of each solution region, stripped, blank lines left out.

    Single lines such as ``events = []`` are common in any code; a few consecutive lines of a
    solution body appearing together are not, so they are what counts as a leak.
    """
    windows: set[tuple[str, ...]] = set()
    region: list[str] | None = None
    for line in text.splitlines():
        if stubs.BEGIN_RE.match(line):
            region = []
        elif stubs.END_RE.match(line) and region is not None:
            for start in range(max(1, len(region) - WINDOW + 1)):
                window = tuple(region[start : start + WINDOW])
                if sum(map(len, window)) >= WINDOW_CHARACTERS:
                    windows.add(window)
            region = None
        elif region is not None and line.strip():
            region.append(line.strip())
    return windows


def find_leaks(release: Path) -> list[str]:
    """Everything in ``release`` that learners must not see, one message per finding."""
    telling: set[tuple[str, ...]] = set()
    for source in sorted((ROOT / "solutions").iterdir()):
        if source.is_file() and source.suffix in (".py", ".md"):
            telling |= _solution_windows(source.read_text(encoding="utf-8"))
    leaks = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        relative = path.relative_to(release).as_posix()
        if secrets.is_secret(relative):
            leaks.append(f"{relative}: instructor-only file")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        leaks += [f"{relative}: contains {word!r}" for word in MARKER_WORDS if word in text]
        leaks += instructor_material(relative, text)
        if relative != ".github/workflows/classroom.yml":
            leaks += [
                f"{relative}: names {word.strip('` ')!r}, which the learner's copy does not have"
                for word in ABSENT_COMMANDS
                if word in text
            ]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        present = {tuple(lines[i : i + WINDOW]) for i in range(len(lines))}
        leaks += [
            f"{relative}: contains lines of the reference solution: {w[0][:60]!r}..." for w in sorted(telling & present)
        ]
    return leaks


def build_student(out: Path, level: str | None = None) -> list[Path]:
    """Write the learner repository to ``out`` (which must not exist or be empty) at ``level``
    (the setting by default): its stubs, README and grader/level.toml are those of the level."""
    level = clauses.level_or_setting(level)
    _check_target(out)
    stale = stubs.outdated(ROOT / "solutions", ROOT / "exercises")
    if stale:
        raise ReleaseError(f"{stubs.OUTDATED_MESSAGE} ({', '.join(stale)})")
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=out.parent))
    try:
        relatives = [*_files(ROOT / "exercises"), *_files(ROOT / "tests" / "public"), *_grader_runtime()]
        for relative in relatives:
            _copy(ROOT / relative, staging / relative)
        for name in TOP_LEVEL_FILES:
            if (ROOT / name).is_file():
                _copy(ROOT / name, staging / name)
        for name, learner_version in LEARNER_VERSIONS.items():
            if (ROOT / name).is_file():
                text = (ROOT / name).read_text(encoding="utf-8")
                (staging / name).write_text(learner_version(text), encoding="utf-8")
        _set_level(staging, level)
        (staging / "README.md").write_text(learner_readme(), encoding="utf-8")
        _copy(WORKFLOW_TEMPLATE, staging / ".github" / "workflows" / "classroom.yml")
        leaks = find_leaks(staging)
        if leaks:
            raise ReleaseError("the release would leak instructor material:\n  " + "\n  ".join(leaks))
        _move_into(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())


def _set_level(staging: Path, level: str) -> None:
    """The release's stubs and README rendered at ``level``, and the level its grader reads."""
    stubs.write_exercises(ROOT / "solutions", staging / "exercises", level)
    setting = staging / clauses.SETTING.relative_to(ROOT)
    text = setting.read_text(encoding="utf-8")
    setting.write_text(re.sub(r'(?m)^level = ".*"$', f'level = "{level}"', text), encoding="utf-8")


def graded_clauses(release: Path) -> list[clauses.Clause]:
    """The clauses a release grades: those of its grader's clause source at its grader's level."""
    level = clauses.configured_level(release / clauses.SETTING.relative_to(ROOT))
    found = clauses.load(release / clauses.SOURCE.relative_to(ROOT))
    return [c for c in found if clauses.includes(level, c.level)]


def _check_target(out: Path) -> None:
    """Refuse a non-empty target, or one inside a folder the release copies."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not empty: choose a new folder")
    resolved = out.resolve()
    for folder in ("exercises", "solutions", "grader", "tests"):
        if (ROOT / folder).resolve() in resolved.parents:
            raise ReleaseError(f"{out} is inside {folder}/: choose a folder outside it")
    out.parent.mkdir(parents=True, exist_ok=True)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _move_into(staging: Path, out: Path) -> None:
    """Move the finished release into place (out may exist, empty)."""
    out.mkdir(parents=True, exist_ok=True)
    for entry in staging.iterdir():
        shutil.move(str(entry), str(out / entry.name))


def main(argv: list[str] | None = None) -> int:
    """Command line: ``student OUT`` or ``solutions OUT``."""
    parser = argparse.ArgumentParser(prog="python -m instructor.release", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["student", "solutions"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--level", choices=clauses.LEVELS, default=None, help="default: the setting")
    args = parser.parse_args(argv)
    try:
        if args.what == "student":
            files = build_student(args.out, args.level)
        else:
            from instructor.release_solutions import build_solutions

            files = build_solutions(args.out)
    except (ReleaseError, stubs.MarkerError) as error:
        print(f"release refused: {error}", file=sys.stderr)
        return 1
    print(f"{args.what} release: {len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
