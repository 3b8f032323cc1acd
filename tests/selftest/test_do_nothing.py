"""A submission that does nothing earns nothing.

The do-nothing submission (``tests/submissions/do_nothing/pretending.py``) is the stubs with
two methods that only pretend: ``send_event`` returns a failure without calling Kinesis,
``consume`` sleeps for ``max_seconds`` and returns ``[]``. Checks compare with what the test
sent and read, so neither earns points on any task.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import manifest
from tests.mutants.patching import Job, grade_all, shared_dir, task_scores
from tests.submissions.do_nothing import pretending


@pytest.fixture(scope="module")
def exercises() -> Path:
    return pretending.build(shared_dir() / "do_nothing")


@pytest.fixture(scope="module")
def report(exercises):
    return grade_all([Job("do_nothing", exercises)], reuse=True)["do_nothing"][0]


def test_it_only_pretends(exercises):
    producer = (exercises / "enhanced_producer.py").read_text(encoding="utf-8")
    assert "self.kinesis" not in producer.split("def send_event", 1)[1].split("def send_batch", 1)[0]


@pytest.mark.parametrize("task", [t.id for t in manifest.load() if t.kind is manifest.Kind.CODE])
def test_do_nothing_scores_zero(report, task):
    got = task_scores(report)[task]
    passed = [t["name"] for t in report["tests"] if t["task"] == task and t["status"] == "passed"]
    assert got == 0, (task, passed)
