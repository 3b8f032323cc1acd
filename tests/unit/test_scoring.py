"""scoring.resolve: a task scores its points times the share of its scored tests that passed."""

from __future__ import annotations

from grader.manifest import Task
from grader.pipeline import collect
from grader.pipeline.scoring import resolve

CODE = Task("producer.counters", 1, "Count", "code", 10, "hint", hidden_checks=2)
CHOICE = Task("checkpoint.q1", 2, "Q1", "choice", 2, "hint", hidden_checks=1)
WRITTEN = Task("discussion.q1", 3, "D1", "written", 0, "hint", manual_points=4)


def result(task: str, status: str, *, scored: bool = True, hidden: bool = False) -> collect.TestResult:
    return collect.TestResult(name=f"{task}-{status}", task=task, hidden=hidden, scored=scored, status=status)


def test_share_of_passed_tests():
    results = [
        result(CODE.id, "passed"),
        result(CODE.id, "failed"),
        result(CODE.id, "passed"),
        result(CODE.id, "passed"),
    ]
    scores = resolve([CODE], results, hidden_present=True)
    task = scores.tasks[0]
    assert (task.score, task.max_score, task.status, task.passed, task.total) == (7.5, 10.0, "partial", 3, 4)
    assert [scores.test_scores[id(r)] for r in results] == [(2.5, 2.5), (0.0, 2.5), (2.5, 2.5), (2.5, 2.5)]


def test_unscored_tests_never_count():
    results = [result(CODE.id, "passed"), result(CODE.id, "failed", scored=False)]
    task = resolve([CODE], results, hidden_present=True).tasks[0]
    assert (task.score, task.status, task.total) == (10.0, "passed", 1)


def test_task_without_tests_is_pending_only_without_hidden_tests():
    assert resolve([CHOICE], [], hidden_present=False).tasks[0].status == "pending"
    assert resolve([CHOICE], [], hidden_present=False).max_score == 0
    absent = resolve([CHOICE], [], hidden_present=True).tasks[0]
    assert (absent.score, absent.max_score, absent.status) == (0.0, 2.0, "failed")


def test_written_tasks_are_manual_and_worth_no_automatic_points():
    scores = resolve([CODE, WRITTEN], [result(CODE.id, "passed"), result(WRITTEN.id, "passed")], hidden_present=True)
    assert scores.tasks[1].status == "manual"
    assert (scores.score, scores.max_score) == (10.0, 10.0)


def test_all_failed_is_failed():
    task = resolve([CODE], [result(CODE.id, "failed"), result(CODE.id, "error")], hidden_present=True).tasks[0]
    assert (task.score, task.status) == (0.0, "failed")
