"""Points, resolved in one pure function: test verdicts + manifest -> task and total scores."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.manifest import Kind, Task
from grader.pipeline.collect import TestResult


@dataclass
class TaskScore:
    """How one task did."""

    task: Task
    score: float
    max_score: float
    status: str  # passed, partial, failed, pending (hidden checks not here), manual
    passed: int = 0
    total: int = 0
    tests: list[TestResult] = field(default_factory=list)


@dataclass
class Scores:
    """Every task's score and the totals."""

    tasks: list[TaskScore]
    test_scores: dict[int, tuple[float, float]]  # id(TestResult) -> (score, max)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 2)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tasks), 2)


def resolve(tasks: list[Task], results: list[TestResult], hidden_present: bool) -> Scores:
    """Score every task: its points times the fraction of its scored tests that passed.

    A task whose checks are all hidden, graded where the hidden tests are absent, is
    "pending" and left out of the maximum, so a learner can still reach full marks on what
    can be checked locally. Where hidden tests are present, a task with no test at all
    scores 0 of its points: nothing is awarded that was not checked.
    """
    task_scores = []
    test_scores: dict[int, tuple[float, float]] = {}
    for task in tasks:
        mine = [r for r in results if r.task == task.id]
        scored = [r for r in mine if r.scored]
        for r in mine:
            test_scores[id(r)] = (0.0, 0.0)
        if task.kind == Kind.WRITTEN:
            task_scores.append(TaskScore(task, 0.0, 0.0, "manual", tests=mine))
            continue
        if not scored:
            if not hidden_present and task.hidden_checks > 0:
                task_scores.append(TaskScore(task, 0.0, 0.0, "pending", tests=mine))
            else:
                task_scores.append(TaskScore(task, 0.0, float(task.points), "failed", tests=mine))
            continue
        share = task.points / len(scored)
        passed = [r for r in scored if r.status == "passed"]
        for r in scored:
            test_scores[id(r)] = (round(share, 4) if r.status == "passed" else 0.0, round(share, 4))
        score = round(task.points * len(passed) / len(scored), 2)
        status = "passed" if len(passed) == len(scored) else ("failed" if not passed else "partial")
        task_scores.append(TaskScore(task, score, float(task.points), status, len(passed), len(scored), mine))
    return Scores(task_scores, test_scores)
