"""Reading an answer file does an amount of work linear in its size, whatever it holds.

Nothing here is timed: the regular expressions the parser uses are counted (calls and
characters handed to them) on 1 MB adversarial files, and each pattern is checked to have no
unbounded white-space quantifier, the construct that backtracks in quadratic time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from grader.paths import ROOT
from grader.pipeline import answers, choice
from grader.pipeline.answers import read_answer_sheet
from grader.pipeline.choice import parse_choice, read_choice
from tests.submissions.hostile import answer_files

QUESTIONS = ["checkpoint.q1", "checkpoint.q2", "discussion.q3", "checkpoint.q3", "discussion.q1"]
# An unbounded quantifier on white space: \s* \s+ " *" "\t+" [ \t]* or {n,} on any of them.
UNBOUNDED_WHITE_SPACE = re.compile(r"(?:\\s|\\t| |\[[^\]]*(?:\\s| |\\t)[^\]]*\])(?:[*+]|\{\d*,\})")


class CountingPattern:
    """A compiled pattern that counts its calls and the characters it was given."""

    def __init__(self, pattern: re.Pattern[str], meter: dict[str, int]) -> None:
        self.pattern, self.meter = pattern, meter

    def _count(self, text: str) -> None:
        self.meter["calls"] += 1
        self.meter["chars"] += len(text)
        self.meter["longest"] = max(self.meter["longest"], len(text))

    def match(self, text: str, *args: Any) -> Any:
        self._count(text)
        return self.pattern.match(text, *args)

    def findall(self, text: str, *args: Any) -> Any:
        self._count(text)
        return self.pattern.findall(text, *args)

    def sub(self, repl: Any, text: str, *args: Any, **kwargs: Any) -> Any:
        self._count(text)
        return self.pattern.sub(repl, text, *args, **kwargs)


@pytest.fixture
def meter(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"calls": 0, "chars": 0, "longest": 0}
    for module in (answers, choice):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, CountingPattern(value, counts))
    return counts


def _patterns() -> list[tuple[str, str]]:
    return [
        (f"{module.__name__}.{name}", value.pattern)
        for module in (answers, choice)
        for name, value in vars(module).items()
        if isinstance(value, re.Pattern)
    ]


def test_no_pattern_has_an_unbounded_white_space_quantifier():
    patterns = _patterns()
    assert len(patterns) >= 8
    assert [name for name, source in patterns if UNBOUNDED_WHITE_SPACE.search(source)] == []
    assert UNBOUNDED_WHITE_SPACE.search(r"^\s*(.*)$") and UNBOUNDED_WHITE_SPACE.search(r"a[ \t]+b")


def _reference_sheet() -> str:
    return (ROOT / "solutions" / "checkpoint.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "make",
    [
        answer_files.white_space_runs,
        answer_files.many_headings,
        lambda: answer_files.long_lines(_reference_sheet()),
        lambda: _reference_sheet() + answer_files.white_space_runs(900_000),
    ],
    ids=["white_space_runs", "many_headings", "long_lines", "reference_then_runs"],
)
def test_a_megabyte_of_hostile_text_costs_linear_work(make, meter, tmp_path: Path):
    text = make()
    path = tmp_path / "checkpoint.md"
    path.write_text(text, encoding="utf-8")
    size = len(text)
    assert 800_000 < size <= 1_000_000
    sheet = read_answer_sheet(path, QUESTIONS)
    for question in ("checkpoint.q1", "checkpoint.q2", "discussion.q3"):
        read_choice(sheet, question)
    assert meter["chars"] <= 3 * size, meter
    assert meter["longest"] <= choice.CHOICE_LINE_CHARS, meter
    assert meter["calls"] <= text.count("\n") * 4 + 100, meter


def test_hostile_lines_around_the_answers_change_no_answer(tmp_path: Path):
    path = tmp_path / "checkpoint.md"
    path.write_text(answer_files.long_lines(_reference_sheet()), encoding="utf-8")
    sheet = read_answer_sheet(path, QUESTIONS)
    assert [read_choice(sheet, q)[0] for q in ("checkpoint.q1", "checkpoint.q2")] == ["C", "D"]
    path.write_text(answer_files.white_space_runs(), encoding="utf-8")
    sheet = read_answer_sheet(path, QUESTIONS)
    letter, problem = read_choice(sheet, "checkpoint.q1")
    assert letter is None and problem is not None and "could not read one letter" in problem.message


def test_a_long_white_space_run_inside_a_choice_is_read_in_linear_work(meter):
    text = "C" + " " * 500_000 + "x\n" + "B" + "\t" * 500_000 + ")"
    assert parse_choice(text) is None  # "B" is a second letter: never guess
    assert parse_choice("  C  " + " " * 500_000) == "C"
    assert meter["longest"] <= choice.CHOICE_LINE_CHARS and meter["chars"] < 10_000, meter


def test_reading_stops_with_a_problem_once_its_time_is_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "checkpoint.md"
    path.write_text(answer_files.many_headings(), encoding="utf-8")
    monkeypatch.setattr(answers, "PARSE_SECONDS", -1.0)  # the deadline has passed before the first line
    sheet = read_answer_sheet(path, QUESTIONS)
    assert sheet.answers == {}
    assert sheet.problems and "took too long to read" in sheet.problems[0].message
    assert sheet.problems[0].question_id is None
