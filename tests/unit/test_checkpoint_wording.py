"""checkpoint.q2: the module's question and answer letter, with option D worded as the module's explanation means it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.pipeline.answers import read_answer_key, read_questions

ROOT = Path(__file__).resolve().parents[2]
KEY = ROOT / "grader" / "hidden" / "answer_key.toml"


def _options(text: str, question_id: str) -> dict[str, str]:
    [question] = [q for q in read_questions(text) if q.id == question_id]
    return dict(re.findall(r"^([A-D])\) (.+)$", question.text, flags=re.MULTILINE))


@pytest.mark.parametrize("sheet", ["exercises/checkpoint.md", "solutions/checkpoint.md"])
def test_q2_option_d_says_filtering_at_low_volume_and_a_separate_stream_at_high(sheet: str) -> None:
    """The module's D ("Either A or C depending on traffic volume") names only the two
    separate-stream options, so a learner who reads it literally answers A; its explanation
    means B at low volume and A or C at high volume."""
    options = _options((ROOT / sheet).read_text(encoding="utf-8"), "checkpoint.q2")
    assert sorted(options) == ["A", "B", "C", "D"]
    assert "filters" in options["B"] and "different stream" in options["C"]  # the module's A-C, unchanged
    d = options["D"]
    assert re.search(r"\bB at low volume\b", d) and re.search(r"\bA or C at high volume\b", d), d


@pytest.mark.skipif(not KEY.is_file(), reason="the answer key is not in this copy")
def test_q2_answer_stays_d_and_its_explanation_names_both_sides() -> None:
    entry = read_answer_key(KEY)["checkpoint.q2"]
    assert entry["answer"] == "D"
    explanation = " ".join(entry["explanation"].split())
    assert "B is simplest" in explanation and "(A)" in explanation and "(C)" in explanation
