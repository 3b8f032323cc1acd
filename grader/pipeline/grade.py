"""The grading pipeline: copy the submission, run the tests on it, score, report.

Only ``<submission>/exercises/`` is read; the tests are always the grader's own, so a
submission's tests, conftest.py or pytest configuration play no part. The report is built
in a ``finally``: even if the grader itself fails, a complete report is written.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from grader import clauses, manifest
from grader.paths import ROOT
from grader.pipeline import leftovers, parts, report, scoring
from grader.pipeline.answers import read_answer_sheet, read_written
from grader.pipeline.collect import Collector, TestResult
from grader.sandbox import reaping
from grader.sandbox.isolation import isolation
from grader.sandbox.runner import Sandbox

PUBLIC_TESTS = ROOT / "tests" / "public"
HIDDEN_TESTS = ROOT / "grader" / "hidden"
PYTEST_INI = ROOT / "grader" / "pytest.ini"
# pytest plugins the grader's tests never use: not loading them saves ~0.3 s a grading.
UNUSED_PLUGINS = [
    arg
    for name in (
        "doctest",
        "junitxml",
        "pastebin",
        "legacypath",
        "tmpdir",
        "monkeypatch",
        "recwarn",
        "setuponly",
        "setupplan",
        "stepwise",
        "unittest",
        "faulthandler",
        "debugging",
        "logging",
        "threadexception",
    )
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


def grade(
    exercises_source: Path,
    include_hidden: bool = True,
    out_dir: Path | None = None,
    extra_args: list[str] | None = None,
    processes: int | None = None,
    level: str | None = None,
) -> dict[str, Any]:
    """Grade one exercises folder and return the report (also written to ``out_dir``).

    With ``processes`` 2 (the default on a machine with two cores or more) the consumer's
    tasks and all the others run at the same time in two processes, each with its own
    Kinesis and worker (``parts.run_parts``); with 1, everything runs in this process. The report
    is the same either way: every test starts from an empty Kinesis.

    ``level`` (core or full; the setting ``grader/level.toml`` when None) decides which
    clauses, and so which tests, count; the report records it.
    """
    level = clauses.level_or_setting(level)
    tasks = manifest.load(level=level)
    sandbox = sandbox_summary()
    hidden_present = include_hidden and hidden_available()
    problems: list[str] = []
    if hidden_present and not sandbox["hidden_tests_allowed"]:
        hidden_present = False  # learner code could read them here: grade the public tests only
        sandbox["hidden_tests_skipped"] = f"hidden tests not run: {sandbox['reason']}"
    leftovers.sweep()  # what gradings killed before left in the temporary folder
    workdir = Path(tempfile.mkdtemp(prefix=leftovers.PREFIX))
    lock = leftovers.hold(workdir)
    results: list[TestResult] = []
    written: list[dict[str, Any]] = []
    try:
        with reaping.nothing_left_running():  # however the grading ends, every process it started ends first
            exercises = copy_exercises(exercises_source, workdir / "exercises")
            files = test_files(hidden_present)
            sides = parts.split_tests(processes or default_processes())
            task_ids = {t.id for t in tasks}
            run_part = functools.partial(run_tests, exercises, files, extra_args or [], task_ids, level=level)
            results, problems = parts.run_parts(exercises, sides, run_part)
            written = _written_answers(exercises / ANSWERS, tasks)
    except Exception as error:  # the report must still be written
        problems.append(f"the autograder failed: {type(error).__name__}: {error}")
    finally:
        problems.extend(report.grader_failures(results))
        scores = scoring.resolve(tasks, results, hidden_present)
        if sandbox.get("learner_code_refused"):
            problems.insert(0, f"learner code was not run: {sandbox['learner_code_refused']}")
        built = {"level": level, **report.build(scores, results, written, hidden_present, problems, sandbox)}
        try:
            if out_dir is not None:
                report.write_json(built, out_dir)  # raises OSError when OUT is full: no score without a report
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            leftovers.release(lock)
    return built


def sandbox_summary() -> dict[str, Any]:
    """What results.json says of the sandbox learner code ran in (see ``grader.sandbox.isolation``)."""
    try:
        found = isolation()
    except Exception as error:  # noqa: BLE001 - the report must still be written
        found = {
            "isolation": "unknown",
            "landlock_abi": 0,
            "user": "",
            "hidden_tests_allowed": False,
            "reason": f"the sandbox could not be probed: {type(error).__name__}: {error}",
        }
    summary = {key: found[key] for key in ("isolation", "landlock_abi", "user", "hidden_tests_allowed", "reason")}
    refused = (found.get("plan") or {}).get("refuse")
    if refused:
        summary["learner_code_refused"] = refused
    return summary


def default_processes() -> int:
    """Two grading processes where there are two cores, else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def test_files(hidden_present: bool) -> list[Path]:
    """The grader's test files, in the order pytest runs them in one process."""
    folders = [PUBLIC_TESTS] + ([HIDDEN_TESTS] if hidden_present else [])
    return [path for folder in folders for path in sorted(folder.glob("test_*.py"))]


def run_tests(
    exercises: Path,
    files: list[Path],
    extra_args: list[str],
    task_ids: set[str],
    token: str = "",
    sandbox: Sandbox | None = None,
    side: str = "",
    level: str = clauses.LEVELS[-1],
) -> tuple[list[TestResult], list[str]]:
    """Run the grader's tests (of one ``side``, or all) on ``exercises`` in this process: (results, problems)."""
    import pytest

    problems: list[str] = []
    nothing_selected_is_fine = bool(side)  # a -k selection may leave one side empty
    collector = Collector(exercises, HIDDEN_TESTS, task_ids, parts.task_filter(side), level)
    # The worker imports boto3 (~0.5 s) on the other core while pytest starts and collects; it
    # gets its Kinesis endpoint now, so its warm-up call is made before the first test too.
    from grader.harness.fixtures import connect_worker
    from grader.kinesis.server import EmbeddedKinesis

    collector.sandbox = sandbox or Sandbox(exercises, token=token)
    collector.sandbox.start()
    collector.kinesis = EmbeddedKinesis().start()
    try:
        connect_worker(collector.sandbox, collector.kinesis)
        args = [
            *map(str, files),
            "-c",
            str(PYTEST_INI),
            "--rootdir",
            str(ROOT),
            "-p",
            "grader.harness.fixtures",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:terminal",
            "-p",
            "no:randomly",
            "--import-mode=importlib",
            "--assert=plain",  # the grader explains failures itself
            "-p",
            "no:unraisableexception",  # its forced garbage collections cost 0.3 s a grading
            *UNUSED_PLUGINS,
            *extra_args,
        ]
        exit_code = int(pytest.main(args, plugins=[collector]))
        if collector.collection_errors:
            problems.extend(f"grader bug, tests not collected: {e}" for e in collector.collection_errors)
        elif exit_code not in (0, 1) and not (exit_code == 5 and nothing_selected_is_fine):
            problems.append(f"the test run ended abnormally (pytest exit code {exit_code})")
    finally:
        collector.sandbox.cleanup()  # already done by the fixture, unless no test used it
        collector.kinesis.stop()
    return list(collector.results.values()), problems


def _written_answers(path: Path, tasks: list[manifest.Task]) -> list[dict[str, Any]]:
    """Collect free-text answers for the instructor, with any problem found in them."""
    written = [t for t in tasks if t.kind == manifest.Kind.WRITTEN]
    sheet = read_answer_sheet(path, [t.id for t in tasks if t.kind != manifest.Kind.CODE], label=f"exercises/{ANSWERS}")
    entries = []
    for task in written:
        text, problem = read_written(sheet, task.id)
        entries.append(
            {
                "id": task.id,
                "title": task.title,
                "manual_points": task.manual_points,
                "answer": text or "",
                "problem": problem.message if problem else "",
            }
        )
    return entries
