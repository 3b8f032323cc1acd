"""Pytest fixtures and markers shared by the public and the hidden tests.

Loaded by the grader with ``-p grader.harness.fixtures``; the tests folders have no
conftest.py of their own, so nothing in a submission can change how tests are set up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, reject, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.internal.conjecture import providers

from grader.harness.feedback import Feedback
from grader.harness.outcome import Outcome, run_scripts
from grader.harness.script import Script
from grader.kinesis.server import EmbeddedKinesis
from grader.kinesis.stream_view import StreamView
from grader.sandbox.runner import GraderFailure, Sandbox

# Derandomized, no example database, no deadline and no shrinking: the same submission gets
# the same examples, in the same order, with the same verdict on every run and machine.
settings.register_profile(
    "grading",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=3,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    report_multiple_bugs=False,
)
settings.load_profile("grading")
# Hypothesis's caches (its Unicode tables) live with the grader, not in whatever folder
# grading was started from.
set_hypothesis_home_dir(str(Path(__file__).resolve().parents[2] / ".hypothesis"))


_NO_CONSTANTS = providers.Constants()


def _no_local_constants() -> Any:
    """Hypothesis mixes literals found in the modules loaded in the process into what it
    generates; which modules are loaded differs between ``python -m grader`` and the self-
    tests, so the same submission could meet different examples. Graded examples come from
    the strategies alone."""
    return _NO_CONSTANTS


if hasattr(providers, "_get_local_constants"):
    providers._get_local_constants = _no_local_constants


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers tests use."""
    config.addinivalue_line("markers", "task(id): the manifest task this test scores")
    config.addinivalue_line("markers", "clause(*ids): the contract clauses (grader/clauses.toml) this test checks")
    config.addinivalue_line("markers", "unscored: feedback only, worth no points (e.g. answer format)")
    config.addinivalue_line("markers", "level(name): the lowest level this check counts at, when above its clauses'")


def _grading_plugin(config: pytest.Config) -> Any:
    """The grader's own plugin object (``grader.pipeline.collect.Collector``), if pytest runs under it."""
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "Collector":
            return plugin
    return None


def exercises_dir(config: pytest.Config) -> Path:
    """The copy of the learner's exercises/ being graded."""
    plugin = _grading_plugin(config)
    return Path(plugin.exercises) if plugin is not None else Path(config.rootpath) / "exercises"


def _from_grader(config: pytest.Config, name: str) -> Any:
    """What the grader's plugin holds under ``name`` (None outside a grading): the worker and the
    embedded Kinesis it started before pytest, so the worker warmed up during collection, and
    the level graded."""
    return getattr(_grading_plugin(config), name, None)


# At the core level a hidden property runs one generated example, not the simplest one, and
# not its explicit examples: the public checks give every core clause its fixed example, and
# the hidden check adds one varied example (hypothesis always generates its simplest example
# first; that edge case, the explicit ones and up to 3 examples are graded at the full level).
CORE_GENERATED_EXAMPLES = 1


def _core_examples(inner: Callable[..., Any], test: Any) -> Callable[..., Any]:
    """Settings and inner test for the core level: one generated example, never the simplest."""
    test._hypothesis_internal_use_settings = settings(
        test._hypothesis_internal_use_settings, max_examples=CORE_GENERATED_EXAMPLES, phases=(Phase.generate,)
    )
    calls = [0]

    def without_the_simplest(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:  # hypothesis's simplest example: not counted, the next one runs instead
            reject()
        return inner(*args, **kwargs)

    return without_the_simplest


class _FirstFailure(pytest.skip.Exception):
    """Stops a hypothesis property at once: hypothesis re-raises skips without replaying."""


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[Any]:
    """Run a hypothesis property until its first failing example, and report that one.

    Hypothesis runs a failing example a second time to report it. Learner code runs in a
    worker, so that replay would cost a full run, and code that is not deterministic (a
    random partition key, a wall-clock check) may pass the second time, which hypothesis
    reports as its own "flaky" error instead of the learner's mistake. So the first
    ``Feedback`` is kept and the property is stopped with a skip, which hypothesis passes
    on at once (no replay, no more examples); the kept ``Feedback`` is what is reported.
    """
    handle = getattr(pyfuncitem.obj, "hypothesis", None)
    if handle is None:
        return (yield)
    inner = handle.inner_test
    kept_settings = getattr(pyfuncitem.obj, "_hypothesis_internal_use_settings", None)
    run = _core_examples(inner, pyfuncitem.obj) if _from_grader(pyfuncitem.config, "level") == "core" else inner
    failures: list[Feedback | GraderFailure] = []

    def until_first_failure(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except (Feedback, GraderFailure) as failure:  # a grader failure is not replayed either
            failures.append(failure)
            raise _FirstFailure("stopped at the first failing example") from None

    handle.inner_test = until_first_failure
    try:
        return (yield)
    except _FirstFailure:
        if failures:
            raise failures[0] from None
        raise
    finally:
        handle.inner_test = inner
        if kept_settings is not None:
            pyfuncitem.obj._hypothesis_internal_use_settings = kept_settings


def connect_worker(box: Sandbox, kinesis: EmbeddedKinesis) -> None:
    """Give the worker its way to ``kinesis`` and its environment (once), so it warms up now."""
    if getattr(box, "connected_to", None) is kinesis:
        return
    if box.kinesis_socket:  # the worker has a network namespace: its bridge reaches the server here
        kinesis.listen_unix(str(box.kinesis_socket))
    box.provide_environment(kinesis.client_environment())
    box.server_verdict = kinesis.run_verdict  # the server's count of the run's calls and time
    box.connected_to = kinesis


@pytest.fixture(scope="session")
def kinesis(request: pytest.FixtureRequest) -> Iterator[EmbeddedKinesis]:
    """The embedded Kinesis endpoint, one for the whole grading session."""
    started = _from_grader(request.config, "kinesis")  # the grader stops the one it started
    if started is not None:
        yield started
        return
    with EmbeddedKinesis() as server:
        yield server


@pytest.fixture()
def streams(kinesis: EmbeddedKinesis) -> StreamView:
    """The grader's own access for making streams and reading what landed on them.

    Every test starts from an empty Kinesis and names its streams from stream-0001, so what
    a test does and says never depends on which tests ran before it in the same process.
    """
    kinesis.reset()
    return StreamView(kinesis)


@pytest.fixture(scope="session")
def sandbox(kinesis: EmbeddedKinesis, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The worker process that runs the learner's code."""
    box = _from_grader(request.config, "sandbox") or Sandbox(exercises_dir(request.config))
    connect_worker(box, kinesis)
    yield box
    box.cleanup()


# What one run may use, in simulated seconds and Kinesis calls, before it counts as never
# finishing. A correct run of any check needs far less: about 3 s to send 30 events the
# module's way (a 0.1 s sleep each), a poll or two to find a shard dry, 0.2 s per read of a
# shard paced to Kinesis's 5 reads a second (botocore's retries of a refused call are simulated
# sleeps too). Checks that wait on purpose (max_seconds, injected faults and the retries
# they call for) pass larger budgets.
# A consumer that never stops is cut off here, and each simulated second it runs costs real
# time too, so these budgets bound how long a grading of a typical beginner's code takes.
RUN_BUDGETS: dict[str, Any] = {"seconds_budget": 30.0, "http_budget": 600}


class Learner:
    """Runs scripts of calls against the learner's code."""

    def __init__(self, sandbox: Sandbox, kinesis: EmbeddedKinesis) -> None:
        self.sandbox = sandbox
        self.kinesis = kinesis

    def run(self, script: Script, **budgets: Any) -> Outcome:
        """Run one script; a failure becomes a Feedback exception."""
        return self.run_together([script], **budgets)[0]

    def run_together(self, scripts: list[Script], **budgets: Any) -> list[Outcome]:
        """Run scripts at the same time in separate processes (one timeline for them all)."""
        spend = {**RUN_BUDGETS, **budgets}
        # The run's clock starts at 0, rate budgets restart with it; the server keeps the run's
        # budgets too, so code that bypasses its own process's count still spends them.
        self.kinesis.new_run(spend["seconds_budget"], spend["http_budget"] * len(scripts))
        return run_scripts(self.sandbox, scripts, **spend)


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
