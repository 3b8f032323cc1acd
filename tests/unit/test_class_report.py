"""The class report's figures on small hand-made grades folders (no grading, no browser)."""

from __future__ import annotations

import io
import json
import math
import pathlib
import re

import pytest

from instructor import class_data, class_report, class_stats

TASKS = [("code.a", 1, "code", 10.0), ("code.b", 2, "code", 10.0), ("choice.q", 3, "choice", 5.0)]


def _report(scores: dict[str, float], messages: dict[str, str] | None = None, **extra) -> dict:
    """A results.json with one check per task: passed at full marks, else failed with its message."""
    messages = messages or {}
    tasks = [
        {"id": i, "number": n, "title": i, "kind": k, "score": scores.get(i, 0.0), "max_score": m, "hint": f"hint {i}"}
        for i, n, k, m in TASKS
    ]
    tests = [
        {
            "name": f"test_{i}",
            "task": i,
            "status": "passed" if scores.get(i, 0.0) == m else "failed",
            "message": "" if scores.get(i, 0.0) == m else messages.get(i, f"Called f().\nIt returned {n}.\nExpected 0"),
            "hidden": k == "choice",
            "scored": True,
        }
        for i, n, k, m in TASKS
    ]
    manual = [{"id": "written.w", "answer": "", "manual_points": 4}]
    return {"status": "fail", "score": sum(scores.values()), "tasks": tasks, "tests": tests, "manual": manual, **extra}


def _folder(tmp_path: pathlib.Path, reports: dict[str, dict | None]) -> pathlib.Path:
    for name, report in reports.items():
        (tmp_path / name).mkdir()
        if report is None:
            (tmp_path / name / "feedback.md").write_text("not graded\n")
            if name == "gil":  # grade-all DEADLINE=: no commit before it
                book = "submission,error\ngil,not submitted: no commit at or before t\n"
                (tmp_path / "gradebook.csv").write_text(book)
        else:
            (tmp_path / name / "results.json").write_text(json.dumps(report))
    return tmp_path


# Four learners: task a scores 0, 5, 10, 10; task b 0, 10, 0, 10; the choice 0, 0, 5, 5.
CLASS = {
    "ann": _report({}, {"choice.q": "Called the grader reading choice.q.\nIt found the answer B.\nExpected another."}),
    "bob": _report({"code.a": 5.0, "code.b": 10.0}, {"code.a": "Called f(shardId-000000000001).\nIt returned 17."}),
    "cat": _report({"code.a": 10.0, "choice.q": 5.0}, {"code.b": "Called f().\nIt returned 99.\nExpected 0."}),
    "dan": _report({"code.a": 10.0, "code.b": 10.0, "choice.q": 5.0}),
    "eve": _report({}, status="error", problems=["the worker died"]),
    "fox": None,
    "gil": None,
}


@pytest.fixture
def grades(tmp_path):
    return _folder(tmp_path, CLASS)


def test_pearson_by_hand_and_undefined_without_variance():
    # x = 0, 1, 2; y = 0, 2, 1: sxy = 1, sxx = 2, syy = 2, so r = 0.5.
    assert class_stats.pearson([0, 1, 2], [0, 2, 1]) == pytest.approx(0.5, abs=1e-12)
    assert class_stats.pearson([3, 3, 3], [1, 2, 3]) is None
    assert class_stats.pearson([1, 2, 3], [4, 4, 4]) is None
    assert class_stats.pearson([1], [2]) is None


def test_item_rest_pass_rates_and_flags_by_hand(grades):
    report = class_report.build(class_data.load(grades))
    head = report["header"]
    assert (head["submissions"], head["graded"], head["errors"], head["not_submitted"]) == (7, 4, 2, 1)
    tasks = {t["id"]: t for t in report["tasks"]}
    # Task a: x = 0, 5, 10, 10; rest (b + choice) = 0, 10, 5, 15.
    x, rest = [0, 5, 10, 10], [0, 10, 5, 15]
    mx, mr = sum(x) / 4, sum(rest) / 4
    by_hand = sum((a - mx) * (b - mr) for a, b in zip(x, rest)) / math.sqrt(
        sum((a - mx) ** 2 for a in x) * sum((b - mr) ** 2 for b in rest)
    )
    assert tasks["code.a"]["item_rest"] == pytest.approx(by_hand, abs=1e-9)
    assert tasks["code.a"]["full_share"] == 0.5 and tasks["code.b"]["full_share"] == 0.5
    assert tasks["code.a"]["distribution"] == [
        {"points": 0.0, "learners": 1},
        {"points": 5.0, "learners": 1},
        {"points": 10.0, "learners": 2},
    ]
    checks = {c["check"]: c for c in report["checks"]}
    assert (checks["test_choice.q"]["passed"], checks["test_choice.q"]["run"]) == (2, 4)
    assert checks["test_choice.q"]["visibility"] == "hidden"
    assert report["scores"]["summary"]["mean"] == pytest.approx((0 + 15 + 15 + 25) / 4)
    assert report["scores"]["summary"]["median"] == 15


def test_undefined_correlation_is_never_zero(tmp_path):
    same = _folder(tmp_path, {"a": _report({"code.a": 10.0}), "b": _report({"code.a": 10.0, "code.b": 10.0})})
    report = class_report.build(class_data.load(same))
    task_a = next(t for t in report["tasks"] if t["id"] == "code.a")
    assert task_a["item_rest"] is None and "almost everyone passes" in task_a["flags"]
    assert next(t for t in report["tasks"] if t["id"] == "choice.q")["flags"] == ["few pass"]
    class_report.write(same)
    assert "code.a,1,code,10.0,10.0,1.0,2,1.0,undefined," in (same / "class-tasks.csv").read_text()


def test_generated_values_fall_into_one_group():
    first = "Called f('stream-0001', 'shardId-000000000001').\nIt read 12 record(s) of {'userId': 'ann'}.\nExpected 5."
    second = "Called g('stream-0002', 'shardId-000000000007').\nIt read 7 record(s) of {'userId': 'z'}.\nExpected 3."
    other = "Called f().\nIt returned None.\nExpected 5."
    sequence = "It saw sequence number 49590338271490256608559692538361571095921575989136588898."
    assert class_stats.group_key(first) == class_stats.group_key(second)
    assert class_stats.group_key(first) != class_stats.group_key(other)
    assert class_stats.group_key(sequence) == class_stats.group_key(sequence.replace("4959", "5012"))
    assert class_stats.group_key("no structure 3") == class_stats.group_key("no structure 4")


def test_failure_groups_letters_and_attention(grades):
    batch = class_data.load(grades)
    batch.answer_key = {"choice.q": "C"}
    report = class_report.build(batch)
    groups = {(g["task"], g["pattern"]): g for g in report["failures"]}
    # ann's "returned 1" and cat's "returned 99" on code.b: one group of two learners out of four.
    returned = groups[("code.b", "It returned <n>.")]
    assert returned["learners"] == 2 and returned["share"] == 0.5 and returned["hint"] == "hint code.b"
    assert report["choices"] == [{"question": "choice.q", "key": "C", "counts": {"B": 1, "C": 2, "unreadable": 1}}]
    attention = {row["learner"]: row["reasons"] for row in report["attention"]}
    assert attention["ann"][0] == "zero score"
    assert attention["eve"] == ["error: the worker died"]
    assert attention["fox"][0].startswith("error: no readable results.json")
    assert attention["gil"] == ["not submitted: no commit at or before t"]


def test_same_files_whatever_the_listing_order(grades, monkeypatch):
    class_report.write(grades)
    first = {p.name: p.read_bytes() for p in grades.glob("class-*")}
    listing = pathlib.Path.iterdir
    monkeypatch.setattr(pathlib.Path, "iterdir", lambda self: iter(sorted(listing(self), reverse=True)))
    class_report.write(grades)
    assert {p.name: p.read_bytes() for p in grades.glob("class-*")} == first
    assert len(first) == 11


def test_anonymised_names_are_stable_and_gone(grades):
    class_report.write(grades, anonymise=True)
    page = (grades / "class-report.html").read_text()
    again = class_report.write(grades, anonymise=True)
    assert page == (grades / "class-report.html").read_text()
    names = {row["learner"] for row in again["attention"]}
    assert all(re.fullmatch(r"learner-[0-9a-f]{8}", name) for name in names)
    for name in CLASS:
        assert f">{name}<" not in page and name not in (grades / "class-attention.csv").read_text().split()


def test_learner_text_is_inert_on_the_page(tmp_path):
    hostile = '<script>alert(1)</script><img src="http://example.invalid/x">\x1b[2J\u202e'
    report = _report({}, {"code.a": f"Called f().\nIt returned {hostile}."})
    report["manual"][0]["answer"] = hostile
    folder = _folder(tmp_path, {"<b>mal": report})
    class_report.write(folder)
    page = (folder / "class-report.html").read_text()
    assert "<script" not in page.lower() and "<img" not in page.lower() and "\x1b" not in page and "\u202e" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;mal" in page
    for name in ["class-report.json", *(p.name for p in folder.glob("class-*.csv"))]:
        text = (folder / name).read_text(encoding="utf-8")
        assert "\x1b" not in text and "\u202e" not in text and "\\u001b" not in text, name
    assert re.search(r"default-src 'none'; style-src 'sha256-[^']+'", page)
    assert "http" not in page.replace("http://example.invalid/x", "").replace("http://www.w3.org/2000/svg", "").replace(
        'http-equiv="Content-Security-Policy"', ""
    )


def test_every_chart_has_its_table(grades):
    class_report.write(grades)
    page = (grades / "class-report.html").read_text()
    figures = re.findall(r'<figure class="pair">(.*?)</figure>', page)
    assert figures and page.count("<svg") == len(figures)
    assert all("<table>" in f and "<th scope=" in f for f in figures)


def test_console_has_no_escape_without_a_terminal_or_with_no_color(grades, monkeypatch):
    report = class_report.write(grades)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert "\x1b" not in class_report.console_summary(report, io.StringIO())
    assert "\x1b" in class_report.console_summary(report, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in class_report.console_summary(report, Terminal())


def test_a_report_without_tasks_is_an_error_and_a_task_worth_nothing_is_left_out(tmp_path):
    outside = _report({"code.a": 10.0})
    for task in outside["tasks"]:
        if task["id"] == "code.b":
            task["max_score"] = 0.0  # not part of the level graded
    folder = _folder(tmp_path, {"ok": outside, "odd": {"status": "pass", "score": 100}})
    report = class_report.build(class_data.load(folder))
    assert (report["header"]["graded"], report["header"]["errors"]) == (1, 1)
    assert [t["id"] for t in report["tasks"]] == ["code.a", "choice.q"]
    assert report["attention"][0]["learner"] == "odd" and "without its tasks" in report["attention"][0]["reasons"][0]
