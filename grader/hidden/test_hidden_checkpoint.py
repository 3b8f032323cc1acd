"""Hidden check of the multiple-choice answers against the answer key."""

from pathlib import Path

import pytest

from grader import manifest
from grader.harness.feedback import Feedback
from grader.pipeline.answers import read_answer_key, read_answer_sheet
from grader.pipeline.choice import read_choice

KEY = read_answer_key(Path(__file__).with_name("answer_key.toml"))
QUESTIONS = [t.id for t in manifest.load() if t.kind in (manifest.Kind.CHOICE, manifest.Kind.WRITTEN)]


@pytest.mark.parametrize("question", [pytest.param(q, marks=pytest.mark.task(q), id=q) for q in KEY])
def test_choice_answer(question, answers_path):
    sheet = read_answer_sheet(answers_path, QUESTIONS, label="exercises/checkpoint.md")
    letter, problem = read_choice(sheet, question)
    if problem is not None:
        raise Feedback(
            f"the grader reading {question}",
            f"found a problem: {problem.message}",
            "one of the question's option letters",
        )
    if letter != KEY[question]["answer"]:
        raise Feedback(
            f"the grader reading {question}",
            f"found the answer {letter}",
            "a different choice",
            "re-read the question and the module's section on it",
        )
