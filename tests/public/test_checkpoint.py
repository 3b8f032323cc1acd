"""Public checks of the answer file: its format only. Correctness is checked at grading."""

import pytest

from grader import manifest
from grader.harness.feedback import Feedback
from grader.pipeline.answers import read_answer_sheet
from grader.pipeline.choice import read_choice

TASKS = manifest.load()
CHOICES = [t.id for t in TASKS if t.kind is manifest.Kind.CHOICE]
QUESTIONS = [t.id for t in TASKS if t.kind in (manifest.Kind.CHOICE, manifest.Kind.WRITTEN)]


@pytest.mark.unscored
@pytest.mark.parametrize("question", [pytest.param(q, marks=pytest.mark.task(q), id=q) for q in CHOICES])
def test_choice_answer_is_readable(question, answers_path):
    sheet = read_answer_sheet(answers_path, QUESTIONS, label="exercises/checkpoint.md")
    letter, problem = read_choice(sheet, question)
    if problem is not None:
        raise Feedback(
            f"the grader reading {question} in exercises/checkpoint.md",
            f"found a problem: {problem.message}",
            "one of the question's option letters on the 'Answer:' line",
        )
    assert letter is not None
