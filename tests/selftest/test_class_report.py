"""The class report and the similarity check on a batch of 12 submissions (tests/selftest/class_batch.py).

Figures are checked against values worked out here from the learners' reports, with other
formulas than the report's, and against counts known from how the batch was built.
"""

from __future__ import annotations

import math
import re
import shutil

import pytest

from instructor import class_bench, class_report
from tests.selftest import class_batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """(SUBMISSIONS, GRADES, reports by learner, the report's figures)."""
    root = tmp_path_factory.mktemp("class")
    submissions, grades, reports = class_batch.build(root)
    return submissions, grades, reports, class_report.write(grades)


def _correlation(xs, ys):
    """Pearson's r from raw sums (another route than the report's deviations)."""
    n = len(xs)
    sx, sy = sum(xs), sum(ys)
    sxy = sum(x * y for x, y in zip(xs, ys))
    sxx, syy = sum(x * x for x in xs), sum(y * y for y in ys)
    return (n * sxy - sx * sy) / math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy))


def test_header(batch):
    _, _, _, figures = batch
    head = figures["header"]
    assert (head["submissions"], head["graded"], head["errors"]) == (12, 10, 2)
    assert head["ran_at"] == "2027-01-15 09:00:00 UTC"  # jon's results.json, the newest
    assert sum(head["levels"].values()) == 10


def test_pass_rates(batch):
    _, _, reports, figures = batch
    for row in figures["checks"]:
        outcomes = [
            t["status"] == "passed"
            for r in reports.values()
            for t in r["tests"]
            if (t["task"], t["name"], bool(t["hidden"])) == (row["task"], row["check"], row["visibility"] == "hidden")
        ]
        assert (row["passed"], row["run"]) == (sum(outcomes), len(outcomes)), row
    choice = next(r for r in figures["checks"] if r["task"] == "checkpoint.q1" and r["visibility"] == "hidden")
    assert choice["pass_rate"] == 6 / 10  # ada, dee and the four copies of ada chose C


def test_item_rest_correlations(batch):
    _, _, reports, figures = batch
    totals = {n: sum(t["score"] for t in r["tasks"] if t["kind"] != "written") for n, r in reports.items()}
    for task in figures["tasks"]:
        points = [next(t["score"] for t in r["tasks"] if t["id"] == task["id"]) for r in reports.values()]
        rest = [totals[n] - p for n, p in zip(reports, points)]
        assert task["item_rest"] == pytest.approx(_correlation(points, rest), abs=1e-9), task["id"]
        full = sum(1 for p in points if p >= task["max_score"])
        assert task["full_share"] == full / 10


def test_failure_groups(batch):
    _, _, reports, figures = batch
    groups = {(g["task"], g["pattern"]): g for g in figures["failures"]}
    # cy and its near-copy fay have no list_shard_ids: every check of the task says so, one group.
    missing = groups[
        ("consumer.all_shards", "It could not be called: enhanced_consumer.py has no function named list_shard_ids.")
    ]
    failed = {
        t["name"] for t in reports["cy"]["tests"] if t["task"] == "consumer.all_shards" and t["status"] != "passed"
    }
    assert missing["learners"] == 2 and missing["share"] == 0.2 and set(missing["checks"]) == failed
    assert missing["hint"].startswith(
        next(t["hint"] for t in reports["cy"]["tasks"] if t["id"] == "consumer.all_shards")
    )
    # The stubs' send_batch fails in every producer.ordering check with generated events: one group.
    stub = groups[
        (
            "producer.ordering",
            "It is still a stub: it raised NotImplementedError (enhanced_producer.py, line <n>, in send_batch).",
        )
    ]
    stub_checks = {
        t["name"] for t in reports["bo"]["tests"] if t["task"] == "producer.ordering" and "send_batch" in t["message"]
    }
    assert stub["learners"] == 1 and set(stub["checks"]) == stub_checks and len(stub_checks) > 3
    # "It read 12 record(s)" and "It read 200 record(s)": generated counts, one group.
    reading = [
        t
        for r in reports.values()
        for t in r["tests"]
        if t["task"] == "consumer.stopping" and re.search(r"^It read \d+ record\(s\)\.$", t["message"], re.M)
    ]
    assert len({t["message"] for t in reading}) > 1
    assert groups[("consumer.stopping", "It read <n> record(s).")]["checks"] == sorted({t["name"] for t in reading})
    assert [g["learners"] for g in figures["failures"]] == sorted(
        (g["learners"] for g in figures["failures"]), reverse=True
    )


def test_letter_counts(batch):
    _, _, _, figures = batch
    assert figures["choices"] == [
        {"question": "checkpoint.q1", "key": "C", "counts": {"A": 2, "B": 1, "C": 6, "blank": 1}},
        {"question": "checkpoint.q2", "key": "D", "counts": {"B": 1, "D": 8, "blank": 1}},
        {"question": "discussion.q3", "key": "C", "counts": {"B": 2, "C": 6, "blank": 2}},
    ]


def test_written_answers_manual_points_and_attention(batch):
    _, grades, _, figures = batch
    q3 = next(q for q in figures["written"] if q["question"] == "checkpoint.q3")
    answers = {a["learner"]: a for a in q3["answers"]}
    assert answers["ada"]["points"] == 3 and answers["cy"]["points"] is None
    assert answers["cy"]["answer"].startswith("<script>")
    page = (grades / "class-report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page and "\x1b" not in page
    attention = {row["learner"]: row["reasons"] for row in figures["attention"]}
    assert attention["bo"][0] == "zero score" and "producer.send_event" in attention["bo"][1]
    assert attention["lee"][0].startswith("error:") and attention["mo"][0].startswith("error:")
    assert "lee" not in answers and "mo" not in answers  # an error is not a score, nor a graded answer


def test_same_bytes_from_a_copy_made_in_another_order(batch, tmp_path):
    _, grades, _, _ = batch
    copy = tmp_path / "grades"
    copy.mkdir()
    for folder in sorted(grades.iterdir(), reverse=True):
        if folder.is_dir():
            shutil.copytree(folder, copy / folder.name, copy_function=shutil.copy2)
    shutil.copy2(grades / "gradebook.csv", copy / "gradebook.csv")
    class_report.write(copy)
    for path in grades.glob("class-*"):
        assert (copy / path.name).read_bytes() == path.read_bytes(), path.name


def test_page_of_a_class_of_100_stays_under_1_mb(batch, tmp_path):
    _, _, reports, _ = batch
    grades = class_bench.build_class([reports["ada"], reports["cy"], reports["dee"]], tmp_path, 100)
    class_report.write(grades)
    assert (grades / "class-report.html").stat().st_size < class_bench.PAGE_TARGET_BYTES


@pytest.fixture(scope="module")
def similarity(batch):
    if not class_batch.SIMILARITY_PYTHON.is_file():
        pytest.skip("no .venv-similarity (make test creates it from requirements-similarity.lock)")
    submissions, grades, _, _ = batch
    return class_batch.run_similarity(submissions, grades)


def test_similarity_flags_copies_and_no_pair_of_honest_solutions(similarity):
    flagged = {(p["first"], p["second"], p["file"]) for p in similarity["pairs"]}
    reference = similarity["reference_name"]
    for file in ("enhanced_producer.py", "enhanced_consumer.py"):
        assert ("cy", "fay", file) in flagged  # the near-copies
        assert ("ada", reference, file) in flagged  # a copy of the released solution
    # The learners' own files in distinct styles: the reference, the module style, the alternatives.
    honest = {
        (reference, "enhanced_producer.py"),
        (reference, "enhanced_consumer.py"),
        ("cy", "enhanced_producer.py"),
        ("cy", "enhanced_consumer.py"),
        ("hal", "enhanced_producer.py"),
        ("ivy", "enhanced_consumer.py"),
        ("jon", "enhanced_consumer.py"),
        ("kim", "enhanced_producer.py"),
        ("kim", "enhanced_consumer.py"),
    }
    between_honest = [(a, b, f) for a, b, f in flagged if (a, f) in honest and (b, f) in honest]
    assert between_honest == []
    assert not any("bo" in (a, b) for a, b, _ in flagged)  # the starter code alone is boilerplate
    assert all(p["longest_lines"] > 0 and p["longest_fragment"] for p in similarity["pairs"])


def test_similarity_gives_the_same_files_again(batch, similarity):
    submissions, grades, _, _ = batch
    before = {name: (grades / name).read_bytes() for name in ("similarity.json", "similarity.csv")}
    class_batch.run_similarity(submissions, grades)
    assert {name: (grades / name).read_bytes() for name in before} == before


def test_similarity_outputs_and_page_section(batch, similarity):
    _, grades, _, _ = batch
    figures = class_report.write(grades)
    assert figures["similarity"]["pairs"] == similarity["pairs"]
    page = (grades / "class-report.html").read_text(encoding="utf-8")
    assert "A hint for a human, never a penalty." in page and 'href="similarity-report.html"' in page
    lines = (grades / "similarity.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("first,second,file,first_score,second_score,longest_lines") and len(lines) > 4
    own = (grades / "similarity-report.html").read_text(encoding="utf-8")
    assert "Copy Detection Report" in own and not re.search(r"(src|href)=\"https?://", own)
