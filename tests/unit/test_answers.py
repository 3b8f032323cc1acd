"""Parsing the checkpoint sheet: forgiving about form, never guessing between letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.pipeline.answers import read_answer_sheet
from grader.pipeline.choice import parse_choice, read_choice


@pytest.mark.parametrize("text", ["C", "c", "(c)", "C)", "**C**", "Answer: C", "option C", "C. Streams decouple"])
def test_one_letter_in_many_forms(text):
    assert parse_choice(text) == "C"


@pytest.mark.parametrize("text", ["", "B or C", "B) or C)", "B\nC", "E", "A consumer reads"])
def test_unclear_or_foreign_answers_are_refused(text):
    assert parse_choice(text) is None


def test_options_limit_the_letters():
    assert parse_choice("D", options="ABC") is None
    assert parse_choice("b", options="ABC") == "B"


def test_sheet_problems_name_the_file_and_line(tmp_path: Path):
    sheet_path = tmp_path / "checkpoint.md"
    sheet_path.write_text(
        "# Answers\n\n## checkpoint.q1: streams\nAnswer: B\n\n## checkpoint.q2: topics\nAnswer:\n", encoding="utf-8"
    )
    sheet = read_answer_sheet(sheet_path, ["checkpoint.q1", "checkpoint.q2", "discussion.q3"])
    assert read_choice(sheet, "checkpoint.q1") == ("B", None)
    letter, empty = read_choice(sheet, "checkpoint.q2")
    assert letter is None and empty is not None and empty.line == 7 and "empty" in empty.message
    letter, missing = read_choice(sheet, "discussion.q3")
    assert letter is None and missing is not None and "## discussion.q3" in missing.message


def test_unreadable_file_costs_only_the_questions(tmp_path: Path):
    sheet_path = tmp_path / "checkpoint.md"
    sheet_path.write_bytes(b"\xff\xfe\x00binary")
    sheet = read_answer_sheet(sheet_path, ["checkpoint.q1"])
    letter, problem = read_choice(sheet, "checkpoint.q1")
    assert letter is None and problem is not None and problem.question_id is None


def test_answer_key_read_from_quoted_or_nested_tables(tmp_path: Path):
    from grader.pipeline.answers import read_answer_key

    key = tmp_path / "answer_key.toml"
    key.write_text('["checkpoint.q1"]\nanswer = "C"\n\n[discussion.q3]\nanswer = "B"\n', encoding="utf-8")
    assert {q: e["answer"] for q, e in read_answer_key(key).items()} == {"checkpoint.q1": "C", "discussion.q3": "B"}
    assert read_answer_key(tmp_path / "absent.toml") == {}


def test_questions_of_a_template():
    from grader.pipeline.answers import read_questions

    text = "# Sheet\n\n## checkpoint.q1: Streams\nWhich one?\nA) x\nB) y\n\nAnswer:\n\n## notes\nfree\n"
    (question,) = read_questions(text)
    assert (question.id, question.heading, question.text) == (
        "checkpoint.q1",
        "checkpoint.q1: Streams",
        "Which one?\nA) x\nB) y",
    )
