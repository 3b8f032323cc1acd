"""Build submissions from the reference by small text replacements, and grade many at once.

Mutants, hostile submissions and alternative solutions are all "the reference with a few
changes": keeping only the changes makes each one easy to read and keeps the repository free
of near-identical copies. Grading runs in up to two separate processes (the machine has two
cores); each process calls ``grader.pipeline.grade.grade``, the code path of ``make grade``.
"""

from __future__ import annotations

import atexit
import copy
import functools
import hashlib
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
    processes: int | None = None  # None: the grader's default (two parts at once on two cores)


def _grade_one(job: Job) -> tuple[str, dict[str, Any], float]:
    from grader.pipeline import grade

    started = time.monotonic()
    report = grade.grade(
        job.exercises,
        include_hidden=job.include_hidden,
        out_dir=job.out_dir,
        extra_args=job.extra_args or None,
        level=job.level,
        processes=job.processes,
    )
    return job.name, report, time.monotonic() - started


# Gradings done in this process, by what was graded: self-tests share them (see ``reuse``).
_DONE: dict[tuple[str, bool, tuple[str, ...], str], tuple[dict[str, Any], float]] = {}


def content_hash(exercises: Path) -> str:
    """A digest of what a grading reads of ``exercises``: the name and bytes of each file it copies.

    The same files as ``grader.pipeline.grade.copy_exercises`` (regular files at the top, no
    links, no hidden files, none over its size limit), so two folders with the same digest
    are the same submission to the grader, wherever they are.
    """
    from grader.pipeline.grade import MAX_COPY_BYTES

    digest = hashlib.sha256()
    if exercises.is_dir() and not exercises.is_symlink():
        for entry in sorted(exercises.iterdir()):
            if entry.is_symlink() or not entry.is_file() or entry.name.startswith("."):
                continue
            if entry.stat().st_size <= MAX_COPY_BYTES:
                data = entry.read_bytes()
                digest.update(f"{entry.name}\0{len(data)}\0".encode())
                digest.update(data)
    return digest.hexdigest()


def _key(job: Job) -> tuple[str, bool, tuple[str, ...], str]:
    return content_hash(job.exercises), job.include_hidden, tuple(job.extra_args), clauses.level_or_setting(job.level)


def grade_all(jobs: list[Job], workers: int = 2, reuse: bool = False) -> dict[str, tuple[dict[str, Any], float]]:
    """Grade every job, ``workers`` at a time; returns name -> (report, seconds).

    With ``reuse``, a job graded before in this pytest session, or earlier in the same list,
    with the same submission (by content, see ``content_hash``), level, hidden or public
    tests and test selection is not graded again: a copy of that report is returned. Jobs
    that write a report (``out_dir``) are always graded.
    """
    results: dict[str, tuple[dict[str, Any], float]] = {}
    todo: dict[Any, tuple[Job, Any]] = {}  # key (or a unique stand-in where nothing is shared) -> (job, its key)
    shared: list[tuple[Job, Any]] = []
    for index, job in enumerate(jobs):
        key = _key(job) if job.out_dir is None else None  # read before the grading, as the grader reads it
        if reuse and key is not None and (key in _DONE or key in todo):
            shared.append((job, key))
        else:
            todo[key if reuse and key is not None else ("again", index)] = (job, key)
    batch = [job for job, _ in todo.values()]
    if workers <= 1 or len(batch) <= 1:
        graded = list(map(_grade_one, batch))
    else:
        # spawn: each grading process starts clean, whatever threads the caller is running.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            graded = list(pool.map(_grade_one, batch))
    for (_, key), (name, report, seconds) in zip(todo.values(), graded):
        results[name] = (report, seconds)
        if key is not None:  # a real grading of its key, whoever asked for it; kept apart from what callers change
            _DONE[key] = (copy.deepcopy(report), seconds)
    for job, key in shared:
        report, seconds = _DONE[key]
        results[job.name] = (copy.deepcopy(report), seconds)
    return results


def grade_once(
    exercises: Path, include_hidden: bool = True, level: str | None = None, extra_args: Iterable[str] = ()
) -> dict[str, Any]:
    """The report of one grading of ``exercises``, made once per session for every self-test that asks the same."""
    job = Job("once", exercises, include_hidden, list(extra_args), level=level)
    return grade_all([job], workers=1, reuse=True)["once"][0]


def task_scores(report: dict[str, Any]) -> dict[str, float]:
    """Task id -> points earned."""
    return {t["id"]: t["score"] for t in report["tasks"]}


def module_of(task_id: str) -> str:
    """The test selection (-k) that runs only the tests of a task's module."""
    return task_id.partition(".")[0]
