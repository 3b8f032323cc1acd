"""A pytest plugin object that records each test's task, verdict, message and output.

The grader passes it to ``pytest.main(..., plugins=[collector])``. It never prints: the
learner sees the grader's own report, not pytest's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader import clauses
from grader.harness.feedback import Feedback
from grader.harness.outcome import LAST_OUTPUT

OUTPUT_SHOWN = 500


@dataclass
class TestResult:
    """One test's verdict."""

    name: str
    task: str
    hidden: bool
    scored: bool
    status: str = "error"  # passed, failed, error
    message: str = ""
    output: str = ""
    duration: float = 0.0
    position: int = 0  # place in the whole collected run, the same in every part (orders merged parts)


class Collector:
    """Records results; registered under the name ``grading``."""

    def __init__(
        self,
        exercises: Path,
        hidden_dir: Path,
        task_ids: set[str],
        keep: Callable[[str], bool] | None = None,
        level: str = clauses.LEVELS[-1],
    ) -> None:
        self.exercises = exercises
        self.hidden_dir = hidden_dir.resolve()
        self.task_ids = task_ids
        self.results: dict[str, TestResult] = {}
        self.collection_errors: list[str] = []
        self.sandbox: Any = None  # a worker started early for the ``sandbox`` fixture, if any
        self.kinesis: Any = None  # its embedded Kinesis, started before pytest too
        # Whether a task's tests run in this part (``parts.task_filter``); None: every test runs.
        self.keep = keep
        self.positions: dict[str, int] = {}
        # Checks of clauses above this level do not count: they are deselected, not failed.
        self.level = level
        self.known_clauses = clauses.by_id()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Note every test's place in the whole run, then keep this part's tests only."""
        self.positions = {item.nodeid: index for index, item in enumerate(items)}
        kept, dropped = [], []
        for item in items:
            counts = self.counts_at_level(item) and (self.keep is None or self.keep(_task_of(item)))
            (kept if counts else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def counts_at_level(self, item: pytest.Item) -> bool:
        """Whether a test counts at the level graded: code tasks' tests by their clauses, others always."""
        task = _task_of(item)
        if not task.startswith(("producer.", "consumer.")):
            return True
        return clauses.includes(self.level, clauses.test_level(clauses_of(item), self.known_clauses, level_of(item)))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Note every test that will run (after any deselection) and its task."""
        for item in session.items:
            task = _task_of(item)
            hidden = self.hidden_dir in Path(str(item.path)).resolve().parents
            result = TestResult(
                _display_name(item, hidden),
                task,
                hidden,
                item.get_closest_marker("unscored") is None,
                position=self.positions.get(item.nodeid, 0),
            )
            if task not in self.task_ids:
                result.message = f"grader bug: test has no known task (got {task!r})"
            self.results[item.nodeid] = result

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Remember test files that could not be collected (a grader bug, reported loudly)."""
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {str(report.longrepr)[-800:]}")

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Start each test with no learner output."""
        LAST_OUTPUT.clear()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        """Turn pytest's report into a verdict and a learner-facing message."""
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None or result.task not in self.task_ids:
            return
        if call.when == "call":
            result.duration = call.duration
            result.output = _clip("".join(LAST_OUTPUT))
        if report.passed and call.when == "call":
            result.status, result.message = "passed", ""
        elif report.failed:
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, Feedback):
                result.status, result.message = "failed", error.text()
            elif result.status != "failed":
                result.status = "error"
                result.message = (
                    "The grader itself failed in this check, so it was not scored for you. "
                    f"Tell your instructor: {type(error).__name__}: {str(error)[:300]}"
                )


def _task_of(item: pytest.Item) -> str:
    """The manifest task a test names with ``@pytest.mark.task``, or ""."""
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker and marker.args else ""


def clauses_of(item: pytest.Item) -> list[str]:
    """The clauses a test names with ``@pytest.mark.clause`` (one marker may name several)."""
    return [str(c) for marker in item.iter_markers("clause") for c in marker.args]


def level_of(item: pytest.Item) -> str:
    """The level a test names with ``@pytest.mark.level`` (the lowest it counts at), or core."""
    marker = item.get_closest_marker("level")
    return str(marker.args[0]) if marker and marker.args else clauses.LEVELS[0]


def _display_name(item: pytest.Item, hidden: bool) -> str:
    """'test_counters_count_utf8_bytes' for public tests; hidden ones are not described."""
    return ("hidden: " if hidden else "") + item.name


def _clip(text: str) -> str:
    text = text.strip("\n")
    if len(text) <= OUTPUT_SHOWN:
        return text
    return text[:OUTPUT_SHOWN] + f"\n[... {len(text) - OUTPUT_SHOWN} more characters not shown]"
