"""Pytest fixtures and markers shared by the public and the hidden tests.

Loaded by the grader with ``-p grader.harness.fixtures``; the tests folders have no
conftest.py of their own, so nothing in a submission can change how tests are set up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from grader.embedded_kinesis import EmbeddedKinesis
from grader.harness.script import Outcome, Script, run_script, run_scripts
from grader.harness.stream_view import StreamView
from grader.sandbox.runner import Sandbox

# Derandomized, no example database, no deadline and no shrinking: the same submission gets
# the same examples, in the same order, with the same verdict on every run and machine.
settings.register_profile(
    "grading",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=4,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    report_multiple_bugs=False,
)
settings.load_profile("grading")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers tests use."""
    config.addinivalue_line("markers", "task(id): the manifest task this test scores")
    config.addinivalue_line("markers", "unscored: feedback only, worth no points (e.g. answer format)")


def exercises_dir(config: pytest.Config) -> Path:
    """The copy of the learner's exercises/ being graded."""
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "Collector":  # the grader's own plugin object
            return Path(plugin.exercises)
    return Path(config.rootpath) / "exercises"


@pytest.fixture(scope="session")
def kinesis() -> Iterator[EmbeddedKinesis]:
    """The embedded Kinesis endpoint, one for the whole grading session."""
    with EmbeddedKinesis() as server:
        yield server


@pytest.fixture(scope="session")
def streams(kinesis: EmbeddedKinesis) -> StreamView:
    """The grader's own client and helpers for making and reading streams."""
    return StreamView(kinesis.client())


@pytest.fixture(scope="session")
def sandbox(kinesis: EmbeddedKinesis, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The worker process that runs the learner's code."""
    box = Sandbox(exercises_dir(request.config), kinesis.client_environment())
    yield box
    box.cleanup()


class Learner:
    """Runs scripts of calls against the learner's code."""

    def __init__(self, sandbox: Sandbox, kinesis: EmbeddedKinesis) -> None:
        self.sandbox = sandbox
        self.kinesis = kinesis

    def run(self, script: Script, **budgets: Any) -> Outcome:
        """Run one script; a failure becomes a Feedback exception."""
        return run_script(self.sandbox, script, **budgets)

    def run_together(self, scripts: list[Script], **budgets: Any) -> list[Outcome]:
        """Run scripts at the same time in separate processes."""
        return run_scripts(self.sandbox, scripts, **budgets)


@pytest.fixture()
def learner(sandbox: Sandbox, kinesis: EmbeddedKinesis) -> Learner:
    """Access to the learner's code, through the sandbox."""
    kinesis.fault_plan = None
    kinesis.rewriter = None
    return Learner(sandbox, kinesis)


@pytest.fixture()
def answers_path(request: pytest.FixtureRequest) -> Path:
    """The learner's checkpoint answer file."""
    return exercises_dir(request.config) / "checkpoint.md"
