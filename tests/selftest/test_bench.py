"""``make bench`` compares grading with and without the sandbox: its plain mode (learner code in
the grading process) must grade the reference to full marks, or the comparison means nothing."""

from __future__ import annotations

from grader.paths import ROOT
from grader.pipeline import grade
from instructor import bench


def test_the_plain_mode_of_the_isolation_comparison_grades_the_reference_to_full_marks(monkeypatch):
    monkeypatch.setattr(grade, "Sandbox", bench.PlainRunner)
    report = grade.grade(ROOT / "solutions", processes=1, level="core")
    assert report["problems"] == []
    assert report["score"] == report["max_score"] == 100
