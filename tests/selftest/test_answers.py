"""Self-tests of grader.pipeline.answers and .choice: reading checkpoint.md and parsing multiple-choice answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.pipeline.answers import Answer, AnswerProblem, read_answer_sheet, read_written
from grader.pipeline.choice import parse_choice, read_choice

ROOT = Path(__file__).resolve().parents[2]
IDS = ["checkpoint.q1", "checkpoint.q2", "checkpoint.q3"]

SHEET = """\
# Checkpoint answers
Intro text: write one letter after "Answer:".
Answer: this line is before any section and is ignored

## checkpoint.q1: Producers and consumers
Question text...
A) ...
B) ...
C) ...
D) ...
<!-- Answer: write one letter here -->
Answer: C

## checkpoint.q2: Topics
Answer:   b)\x20\x20

## checkpoint.q3: Push vs pull (written answer)
Question ...
Answer:
Free text over
<!-- a comment inside the answer is dropped -->
several lines.

---

## notes.q9: unknown sections are ignored
Answer: A
"""


def _write(tmp_path: Path, text: str, name: str = "checkpoint.md") -> Path:
    """Write `text` as UTF-8 to a file in tmp_path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- parse_choice ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "C",
        "c",
        " C ",
        "C)",
        "(c)",
        "C.",
        "[C]",
        "C:",
        "c) Multiple consumers can read the same events",
        "C. Multiple consumers",
        "C - Multiple consumers",
        "**C**",
        "`C`",
        "Option C",
        "option c",
        "answer C",
        "Answer: C",
        "the answer is C.",
        "C\nbecause each consumer reads every event",
        "C) A consumer keeps its own position",
    ],
)
def test_parse_choice_accepts(text: str) -> None:
    assert parse_choice(text) == "C"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n",
        "B or C",
        "B, C",
        "B/C",
        "B and C",
        "C & D",
        "B) or C)",
        "C (or B)",
        "C. maybe B",
        "A) B",
        "C\nB",
        "Cats",
        "E",
        "I think so",
        "A consumer",
        "Option",
    ],
)
def test_parse_choice_rejects(text: str) -> None:
    assert parse_choice(text) is None


def test_parse_choice_respects_options() -> None:
    assert parse_choice("D", options="ABC") is None
    assert parse_choice("e", options="abcde") == "E"


@given(
    prefix=st.sampled_from(["", " ", "  ", "(", " (", "( ", "[", "\t"]),
    letter=st.sampled_from("ABCDabcd"),
    suffix=st.sampled_from(["", " ", ")", ") ", " )", ".", ").", "]", ":", "  \n"]),
)
def test_parse_choice_property(prefix: str, letter: str, suffix: str) -> None:
    assert parse_choice(f"{prefix}{letter}{suffix}") == letter.upper()


# --- read_answer_sheet -----------------------------------------------------------------


def test_reads_choices_and_multiline_free_text(tmp_path: Path) -> None:
    sheet = read_answer_sheet(_write(tmp_path, SHEET), IDS)
    assert sheet.problems == []
    assert sheet.path_label == "checkpoint.md"
    assert sheet.answers["checkpoint.q1"] == Answer("checkpoint.q1", "C", 12, "ABCD")
    assert sheet.answers["checkpoint.q2"].text == "b)"
    assert sheet.answers["checkpoint.q3"] == Answer("checkpoint.q3", "Free text over\nseveral lines.", 19)
    assert "notes.q9" not in sheet.answers
    assert read_choice(sheet, "checkpoint.q1") == ("C", None)
    assert read_choice(sheet, "checkpoint.q2") == ("B", None)
    assert read_written(sheet, "checkpoint.q3") == ("Free text over\nseveral lines.", None)


def test_label_is_used_instead_of_the_path(tmp_path: Path) -> None:
    sheet = read_answer_sheet(tmp_path / "nowhere.md", IDS, label="exercises/checkpoint.md")
    problem = sheet.problem_for("checkpoint.q1")
    assert problem is not None
    assert problem.message.startswith("exercises/checkpoint.md: ")
    assert str(tmp_path) not in problem.message


def _file_problem(path: Path, **kwargs: int) -> AnswerProblem:
    """The single file-wide problem reported for `path`."""
    sheet = read_answer_sheet(path, IDS, **kwargs)
    assert sheet.answers == {}
    assert len(sheet.problems) == 1
    problem = sheet.problems[0]
    assert problem.question_id is None
    # A file-wide problem stands for every question.
    assert all(sheet.problem_for(q) == problem for q in IDS)
    return problem


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _file_problem(tmp_path / "checkpoint.md").message


def test_directory_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.md").mkdir()
    assert "not a regular file" in _file_problem(tmp_path / "checkpoint.md").message


@pytest.mark.parametrize("text", ["", "  \n\n\t\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert "empty" in _file_problem(_write(tmp_path, text)).message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.md"
    path.write_bytes(b"## checkpoint.q1\nAnswer: C\n\0\0\0")
    assert "binary" in _file_problem(path).message


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.md"
    # Valid multi-byte text before the bad byte must not shift the line count.
    path.write_bytes("## checkpoint.q1: zoë\nAnswer: C\n\nAnswer: caf".encode() + b"\xe9\n")
    problem = _file_problem(path)
    assert problem.line == 4
    assert problem.message.startswith("checkpoint.md line 4: ")
    assert "UTF-8" in problem.message


def test_too_large_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.md"
    path.write_bytes(b"## checkpoint.q1\nAnswer: C\n" + b"x" * 2_000_000)
    assert "larger than" in _file_problem(path, max_bytes=1_000_000).message


def test_file_of_exactly_max_bytes_is_read(tmp_path: Path) -> None:
    text = "## checkpoint.q1\nAnswer: C\n"
    sheet = read_answer_sheet(_write(tmp_path, text), ["checkpoint.q1"], max_bytes=len(text))
    assert sheet.problems == []


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.md"
    path.write_bytes("\ufeff## checkpoint.q1: x\r\nAnswer: a\r\n".encode())
    sheet = read_answer_sheet(path, ["checkpoint.q1"])
    assert sheet.answers["checkpoint.q1"] == Answer("checkpoint.q1", "a", 2)


def test_missing_section(tmp_path: Path) -> None:
    sheet = read_answer_sheet(_write(tmp_path, "## checkpoint.q1\nAnswer: A\n"), IDS[:2])
    problem = sheet.problem_for("checkpoint.q2")
    assert problem is not None
    assert problem.question_id == "checkpoint.q2"
    assert "no section '## checkpoint.q2' was found" in problem.message
    assert sheet.problem_for("checkpoint.q1") is None


def test_section_without_answer_line(tmp_path: Path) -> None:
    text = "# Answers\n\n## checkpoint.q1: x\nA) one\n<!-- Answer: here -->\nC\n"
    problem = read_answer_sheet(_write(tmp_path, text), ["checkpoint.q1"]).problem_for("checkpoint.q1")
    assert problem is not None
    assert problem.line == 3
    assert problem.message.startswith("checkpoint.md line 3: ")
    assert '"Answer:"' in problem.message


def test_duplicated_section_first_one_counts(tmp_path: Path) -> None:
    text = "## checkpoint.q1\nAnswer: A\n\n## checkpoint.q1\nAnswer: B\n"
    sheet = read_answer_sheet(_write(tmp_path, text), ["checkpoint.q1"])
    assert sheet.answers["checkpoint.q1"].text == "A"
    problem = sheet.problem_for("checkpoint.q1")
    assert problem is not None
    assert problem.line == 4
    assert "line 1" in problem.message


@pytest.mark.parametrize(
    "heading",
    [
        "## checkpoint.q1",
        "## checkpoint.q1: Producers",
        "## Checkpoint.Q1: Producers",
        "## checkpoint q1",
        "## checkpoint_q1",
        "## checkpoint-q1 - Producers",
        "##   CHECKPOINT.Q1",
    ],
)
def test_header_normalisation(tmp_path: Path, heading: str) -> None:
    sheet = read_answer_sheet(_write(tmp_path, f"{heading}\nAnswer: D\n"), ["checkpoint.q1"])
    assert sheet.problems == []
    assert sheet.answers["checkpoint.q1"].text == "D"


def test_other_headings_end_a_section(tmp_path: Path) -> None:
    text = "## checkpoint.q3\nAnswer:\nmine\n\n## Notes\nnot part of the answer\n"
    sheet = read_answer_sheet(_write(tmp_path, text), ["checkpoint.q3"])
    assert sheet.answers["checkpoint.q3"].text == "mine"


def test_read_choice_messages(tmp_path: Path) -> None:
    text = "## checkpoint.q1\n\n\nAnswer:\n\n## checkpoint.q2\nAnswer: B or C\n"
    sheet = read_answer_sheet(_write(tmp_path, text), IDS[:2])
    letter, problem = read_choice(sheet, "checkpoint.q1")
    assert letter is None and problem is not None
    assert problem.message == (
        'checkpoint.md line 4: the answer to checkpoint.q1 is empty. Write one letter (A, B, C or D) after "Answer:".'
    )
    letter, problem = read_choice(sheet, "checkpoint.q2")
    assert letter is None and problem is not None
    assert problem.message.startswith("checkpoint.md line 7: could not read one letter")


def test_read_written_empty(tmp_path: Path) -> None:
    sheet = read_answer_sheet(_write(tmp_path, "## checkpoint.q3\nAnswer:\n\n"), ["checkpoint.q3"])
    text, problem = read_written(sheet, "checkpoint.q3")
    assert text is None and problem is not None and "empty" in problem.message


def test_solution_markers_are_ignored_so_the_reference_file_can_be_graded(tmp_path: Path) -> None:
    text = (
        "## checkpoint.q1\nAnswer:\n### BEGIN SOLUTION [checkpoint.q1]\nC\n### END SOLUTION\n"
        "## checkpoint.q3\nAnswer:\n### BEGIN SOLUTION\nPolling costs.\n### END SOLUTION\n"
    )
    sheet = read_answer_sheet(_write(tmp_path, text), ["checkpoint.q1", "checkpoint.q3"])
    assert read_choice(sheet, "checkpoint.q1") == ("C", None)
    assert read_written(sheet, "checkpoint.q3") == ("Polling costs.", None)


def test_letter_range_comes_from_the_question_own_options(tmp_path: Path) -> None:
    """discussion.q3 lists A to C: its messages ask for A, B or C, and a D is not an answer."""
    template = (ROOT / "exercises" / "checkpoint.md").read_text(encoding="utf-8")
    sheet = read_answer_sheet(_write(tmp_path, template), ["checkpoint.q1", "discussion.q3"])
    assert sheet.answers["discussion.q3"].options == "ABC"
    assert sheet.answers["checkpoint.q1"].options == "ABCD"
    _, problem = read_choice(sheet, "discussion.q3")
    assert problem is not None and "(A, B or C)" in problem.message and "D" not in problem.message.split("(")[-1]
    _, problem = read_choice(sheet, "checkpoint.q1")
    assert problem is not None and "(A, B, C or D)" in problem.message
    answered = template.replace("Answer:", "Answer: D")
    sheet = read_answer_sheet(_write(tmp_path, answered), ["checkpoint.q1", "discussion.q3"])
    assert read_choice(sheet, "checkpoint.q1") == ("D", None)
    letter, problem = read_choice(sheet, "discussion.q3")
    assert letter is None and problem is not None and "Write exactly one letter (A, B or C)" in problem.message
