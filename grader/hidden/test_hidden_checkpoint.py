"""Hidden check of the multiple-choice answers against the answer key."""

import tomllib
from pathlib import Path

import pytest

from grader.answers import read_answer_sheet, read_choice
from grader.harness.feedback import Feedback

KEY = tomllib.loads(Path(__file__).with_name("answer_key.toml").read_text(encoding="utf-8"))
QUESTIONS = ["checkpoint.q1", "checkpoint.q2", "checkpoint.q3", "discussion.q1", "discussion.q2", "discussion.q3"]


@pytest.mark.parametrize("question", [pytest.param(q, marks=pytest.mark.task(q), id=q) for q in KEY])
def test_choice_answer(question, answers_path):
    sheet = read_answer_sheet(answers_path, QUESTIONS, label="exercises/checkpoint.md")
    letter, problem = read_choice(sheet, question)
    if problem is not None:
        raise Feedback(f"the grader reading {question}", f"found a problem: {problem.message}", "one letter, A to D")
    if letter != KEY[question]["answer"]:
        raise Feedback(f"the grader reading {question}", f"found the answer {letter}", "a different choice",
                       "re-read the question and the module's section on it")
