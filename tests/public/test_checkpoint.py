"""Public checks of the answer file: its format only. Correctness is checked at grading."""

import pytest

from grader.answers import read_answer_sheet, read_choice
from grader.harness.feedback import Feedback

CHOICES = ["checkpoint.q1", "checkpoint.q2", "discussion.q3"]
WRITTEN = ["checkpoint.q3", "discussion.q1", "discussion.q2"]


@pytest.mark.unscored
@pytest.mark.parametrize("question", [pytest.param(q, marks=pytest.mark.task(q), id=q) for q in CHOICES])
def test_choice_answer_is_readable(question, answers_path):
    sheet = read_answer_sheet(answers_path, CHOICES + WRITTEN, label="exercises/checkpoint.md")
    letter, problem = read_choice(sheet, question)
    if problem is not None:
        raise Feedback(f"the grader reading {question} in exercises/checkpoint.md", f"found a problem: {problem.message}",
                       "one letter, A to D, on the 'Answer:' line")
    assert letter in "ABCD"
