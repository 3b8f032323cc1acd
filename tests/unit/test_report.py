"""The report: results.json's shape and the console table a learner reads."""

from __future__ import annotations

import json
from pathlib import Path

from grader.manifest import Task
from grader.pipeline import collect, report
from grader.pipeline.scoring import resolve

TASKS = [
    Task("producer.send_event", 1, "Send one event", "code", 8, "Use put_record.", hidden_checks=2),
    Task("checkpoint.q1", 2, "Checkpoint 1", "choice", 2, "Think.", hidden_checks=1),
    Task("discussion.q1", 3, "Discussion 1", "written", 0, "Argue.", manual_points=4),
]


def built(hidden_present: bool) -> dict:
    results = [
        collect.TestResult("test_ok", "producer.send_event", hidden=False, scored=True, status="passed"),
        collect.TestResult(
            "test_bad",
            "producer.send_event",
            hidden=False,
            scored=True,
            status="failed",
            message="Called f().\nIt returned 1.",
            output="printed line",
        ),
    ]
    scores = resolve(TASKS, results, hidden_present)
    written = [{"id": "discussion.q1", "answer": "because", "problem": ""}]
    return report.build(scores, results, written, hidden_present, problems=[])


def test_results_json_fields_and_scores():
    data = built(hidden_present=True)
    assert (data["score"], data["max_score"], data["status"], data["hidden_tests"]) == (4.0, 10.0, "fail", "included")
    assert [t["status"] for t in data["tasks"]] == ["partial", "failed", "manual"]
    assert [(t["score"], t["max_score"]) for t in data["tests"]] == [(4.0, 4.0), (0.0, 4.0)]


def test_without_hidden_tests_a_hidden_only_task_is_pending():
    data = built(hidden_present=False)
    assert data["max_score"] == 8.0
    assert data["tasks"][1]["status"] == "pending" and data["tasks"][1]["hidden_checks_pending"] == 1


def test_console_table_explains_each_failure_with_its_hint():
    text = report.render(built(hidden_present=True))
    assert " Score: 4/10" in text
    assert " ✗ producer.send_event: test_bad" in text
    assert "   Called f()." in text and "   Hint: Use put_record." in text
    assert "   | printed line" in text
    assert "discussion.q1" in text


def test_json_written_atomically(tmp_path: Path):
    target = report.write_json(built(hidden_present=True), tmp_path)
    assert json.loads(target.read_text(encoding="utf-8"))["score"] == 4.0
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
