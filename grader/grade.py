"""The grading pipeline: copy the submission, run the tests on it, score, report.

Only ``<submission>/exercises/`` is read; the tests are always the grader's own, so a
submission's tests, conftest.py or pytest configuration play no part. The report is built
in a ``finally``: even if the grader itself fails, a complete report is written.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from grader import manifest, report, scoring
from grader.answers import read_answer_sheet, read_written
from grader.collect import Collector, TestResult
from grader.sandbox.runner import Sandbox

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_TESTS = ROOT / "tests" / "public"
HIDDEN_TESTS = ROOT / "grader" / "hidden"
PYTEST_INI = ROOT / "grader" / "pytest.ini"
# pytest plugins the grader's tests never use: not loading them saves ~0.3 s a grading.
UNUSED_PLUGINS = [
    arg for name in ("doctest", "junitxml", "pastebin", "legacypath", "tmpdir", "monkeypatch", "recwarn", "setuponly",
                     "setupplan", "stepwise", "unittest", "faulthandler", "debugging", "logging", "threadexception")
    for arg in ("-p", f"no:{name}")
]
MAX_COPY_BYTES = 64 * 1024 * 1024  # per file: a 50 MB answer file is copied, then refused by the parser
ANSWERS = "checkpoint.md"


def copy_exercises(source: Path, target: Path) -> Path:
    """Copy regular files of ``source`` (no symlinks, no subfolders) to a private folder."""
    target.mkdir(parents=True)
    if source.is_dir() and not source.is_symlink():
        for entry in sorted(source.iterdir()):
            if entry.is_symlink() or not entry.is_file() or entry.name.startswith("."):
                continue
            if entry.stat().st_size <= MAX_COPY_BYTES:
                shutil.copyfile(entry, target / entry.name)
    return target


def hidden_available() -> bool:
    """Whether the hidden tests are in this copy of the grader."""
    return HIDDEN_TESTS.is_dir() and any(HIDDEN_TESTS.glob("test_*.py"))


def grade(exercises_source: Path, include_hidden: bool = True, out_dir: Path | None = None, extra_args: list[str] | None = None) -> dict[str, Any]:
    """Grade one exercises folder and return the report (also written to ``out_dir``)."""
    import pytest

    tasks = manifest.load()
    hidden_present = include_hidden and hidden_available()
    workdir = Path(tempfile.mkdtemp(prefix="grader-"))
    problems: list[str] = []
    collector: Collector | None = None
    written: list[dict[str, Any]] = []
    try:
        exercises = copy_exercises(exercises_source, workdir / "exercises")
        collector = Collector(exercises, HIDDEN_TESTS, {t.id for t in tasks})
        # The worker imports boto3 (~0.5 s) on the other core while pytest starts and collects.
        collector.sandbox = Sandbox(exercises)
        collector.sandbox.start()
        paths = [str(PUBLIC_TESTS)] + ([str(HIDDEN_TESTS)] if hidden_present else [])
        args = [
            *paths, "-c", str(PYTEST_INI), "--rootdir", str(ROOT), "-p", "grader.harness.fixtures",
            "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly", "--import-mode=importlib",
            "--assert=plain",  # the grader explains failures itself
            "-p", "no:unraisableexception",  # its forced garbage collections cost 0.3 s a grading
            *UNUSED_PLUGINS,
            *(extra_args or []),
        ]
        exit_code = pytest.main(args, plugins=[collector])
        if collector.collection_errors:
            problems.extend(f"grader bug, tests not collected: {e}" for e in collector.collection_errors)
        elif int(exit_code) not in (0, 1):
            problems.append(f"the test run ended abnormally (pytest exit code {int(exit_code)})")
        written = _written_answers(exercises / ANSWERS, tasks)
    except Exception as error:  # the report must still be written
        problems.append(f"the autograder failed: {type(error).__name__}: {error}")
    finally:
        results: list[TestResult] = list(collector.results.values()) if collector else []
        scores = scoring.resolve(tasks, results, hidden_present)
        if collector is not None and collector.sandbox is not None:
            collector.sandbox.cleanup()  # already done by the fixture, unless no test used it
        built = report.build(scores, results, written, hidden_present, problems)
        if out_dir is not None:
            report.write_json(built, out_dir)
        shutil.rmtree(workdir, ignore_errors=True)
    return built


def _written_answers(path: Path, tasks: list[manifest.Task]) -> list[dict[str, Any]]:
    """Collect free-text answers for the instructor, with any problem found in them."""
    written = [t for t in tasks if t.kind == "written"]
    sheet = read_answer_sheet(path, [t.id for t in tasks if t.kind != "code"], label=f"exercises/{ANSWERS}")
    entries = []
    for task in written:
        text, problem = read_written(sheet, task.id)
        entries.append({
            "id": task.id, "title": task.title, "manual_points": task.manual_points,
            "answer": text or "", "problem": problem.message if problem else "",
        })
    return entries
