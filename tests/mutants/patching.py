"""Build submissions from the reference by small text replacements, and grade many at once.

Mutants, hostile submissions and alternative solutions are all "the reference with a few
changes": keeping only the changes makes each one easy to read and keeps the repository free
of near-identical copies. Grading runs in up to two separate processes (the machine has two
cores); each process calls ``grader.pipeline.grade.grade``, the code path of ``make grade``.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import clauses

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "solutions"

# (file in exercises/, text that must occur exactly once in it, text to put instead)
Patch = tuple[str, str, str]


class PatchError(ValueError):
    """A patch no longer fits the reference (its old text is missing or not unique)."""


def apply(text: str, old: str, new: str, where: str) -> str:
    """Replace the single occurrence of ``old`` in ``text``."""
    count = text.count(old)
    if count != 1:
        raise PatchError(f"{where}: expected the snippet once, found it {count} time(s): {old[:80]!r}")
    return text.replace(old, new)


@functools.lru_cache(maxsize=1)
def shared_dir() -> Path:
    """A folder for built submissions, the same for the whole process, removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="submissions-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def materialize(
    target: Path,
    patches: Iterable[Patch] = (),
    overlay: Path | None = None,
    generate: Callable[[Path], None] | None = None,
    reference: Path = REFERENCE,
) -> Path:
    """Write ``target/exercises``: the reference, patched, then overlaid, then generated files."""
    exercises = target / "exercises"
    exercises.mkdir(parents=True, exist_ok=True)
    for source in reference.iterdir():
        if source.is_file() and source.suffix in (".py", ".md"):
            shutil.copyfile(source, exercises / source.name)
    for name, old, new in patches:
        path = exercises / name
        path.write_text(apply(path.read_text(encoding="utf-8"), old, new, name), encoding="utf-8")
    if overlay is not None and overlay.is_dir():
        shutil.copytree(overlay, target, dirs_exist_ok=True)
    if generate is not None:
        generate(exercises)
    return exercises


@dataclass
class Job:
    """One grading to run: which exercises folder, with which options."""

    name: str
    exercises: Path
    include_hidden: bool = True
    extra_args: list[str] = field(default_factory=list)
    out_dir: Path | None = None
    level: str | None = None  # None: the setting (grader/level.toml)


def _grade_one(job: Job) -> tuple[str, dict[str, Any], float]:
    from grader.pipeline import grade

    started = time.monotonic()
    report = grade.grade(
        job.exercises,
        include_hidden=job.include_hidden,
        out_dir=job.out_dir,
        extra_args=job.extra_args or None,
        level=job.level,
    )
    return job.name, report, time.monotonic() - started


# Gradings done in this process, by what was graded: self-tests share them (see ``reuse``).
_DONE: dict[tuple[str, bool, tuple[str, ...], str], tuple[dict[str, Any], float]] = {}


def _key(job: Job) -> tuple[str, bool, tuple[str, ...], str]:
    return str(job.exercises), job.include_hidden, tuple(job.extra_args), clauses.level_or_setting(job.level)


def grade_all(jobs: list[Job], workers: int = 2, reuse: bool = False) -> dict[str, tuple[dict[str, Any], float]]:
    """Grade every job, ``workers`` at a time; returns name -> (report, seconds).

    With ``reuse``, a job graded before in this process (same folder, same options) is not
    graded again: its earlier report is returned.
    """
    results: dict[str, tuple[dict[str, Any], float]] = {}
    todo = []
    for job in jobs:
        if reuse and _key(job) in _DONE and job.out_dir is None:
            results[job.name] = _DONE[_key(job)]
        else:
            todo.append(job)
    if workers <= 1 or len(todo) <= 1:
        done = map(_grade_one, todo)
        for job, (name, report, seconds) in zip(todo, done):
            results[name] = _DONE[_key(job)] = (report, seconds)
        return results
    # spawn: each grading process starts clean, whatever threads the caller is running.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for job, (name, report, seconds) in zip(todo, pool.map(_grade_one, todo)):
            results[name] = _DONE[_key(job)] = (report, seconds)
    return results


def task_scores(report: dict[str, Any]) -> dict[str, float]:
    """Task id -> points earned."""
    return {t["id"]: t["score"] for t in report["tasks"]}


def module_of(task_id: str) -> str:
    """The test selection (-k) that runs only the tests of a task's module."""
    return task_id.partition(".")[0]
