"""A batch in which hostile submissions sit beside reference copies: nobody's grade is spoiled.

One grade-all grades two reference copies, a copy whose grading fails for the grader's own
reasons (its process may write no file: the disk refuses every write, as a full disk does), a
submission whose answer file is made to be slow to parse, and one whose code and written answer
are made of hostile text. The reference copies keep full marks and are final; the failed grading
is an error, with no points, not final, listed, and graded again by the next grade-all; the
hostile text reaches no output (results.json, feedback.md, gradebook.csv, Gradescope, Classroom,
the console) able to act.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from grader import manifest
from grader.pipeline import report as report_module
from grader.platform import classroom, gradescope
from instructor import batch, gradebook
from tests.mutants.patching import REFERENCE, materialize
from tests.submissions.hostile import answer_files
from tests.submissions.hostile.cases import CHOICE_TASKS, in_stats
from tests.submissions.hostile.hostile_text import FORGED_SCORE, HOSTILE, SURROGATE, outside_fences, unsafe_in

REFERENCES = ("reference_a", "reference_b")
NO_SPACE = "reference_no_space"
# The grading process of NO_SPACE may write no byte to any file (RLIMIT_FSIZE 0; Python gets
# EFBIG, as it would get ENOSPC on a full disk), then runs the grader as ``python -m grader``.
REFUSED_WRITES = (
    "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
    "sys.argv[0] = 'grader'; runpy.run_module('grader', run_name='__main__', alter_sys=True)"
)
HOSTILE_ANSWER = '=HYPERLINK("http://127.0.0.1/","x") ' + HOSTILE


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / gradebook.GRADEBOOK).open(encoding="utf-8", newline="") as stream:
        return {row["submission"]: row for row in csv.DictReader(stream)}


def _hostile_text_answers(exercises: Path) -> None:
    sheet = exercises / "checkpoint.md"
    before, marker, after = sheet.read_text(encoding="utf-8").partition("## discussion.q1")
    sheet.write_text(before + marker + after.replace("Answer:\n", f"Answer: {HOSTILE_ANSWER}\n", 1), encoding="utf-8")


def _slow_answers(exercises: Path) -> None:
    (exercises / "checkpoint.md").write_text(answer_files.white_space_runs(), encoding="utf-8")


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("integrity")
    submissions, out = base / "submissions", base / "out"
    for name in (*REFERENCES, NO_SPACE):
        shutil.copytree(REFERENCE, submissions / name / "exercises")
    materialize(submissions / "hostile_answers", generate=_slow_answers)
    code = f"        print({HOSTILE + SURROGATE!r})\n        raise RuntimeError({HOSTILE + SURROGATE!r})\n"
    materialize(submissions / "hostile_text", [in_stats(code)], generate=_hostile_text_answers)
    real_command = batch.grading_command

    def command(submission: Path, target: Path) -> list[str]:
        if submission.name != NO_SPACE:
            return real_command(submission, target)
        return [sys.executable, "-c", REFUSED_WRITES, *real_command(submission, target)[3:]]

    progress = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grader_fingerprint", lambda: "fixed")  # the grader may be edited meanwhile
        patch.setattr(batch, "grading_command", command)
        first = batch.grade_all(submissions, out, jobs=2, stream=progress)
    rows_first = _rows(out)
    stamped = {name: (out / name / batch.HASH_FILE).is_file() for name in rows_first}
    feedback_first = {name: (out / name / "feedback.md").read_text(encoding="utf-8") for name in rows_first}
    again = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grader_fingerprint", lambda: "fixed")
        second = batch.grade_all(submissions, out, jobs=2, stream=again)
    return {
        "first": {o.name: o for o in first},
        "second": {o.name: o for o in second},
        "rows_first": rows_first,
        "rows_second": _rows(out),
        "stamped_first": stamped,
        "feedback_first": feedback_first,
        "progress": progress.getvalue() + again.getvalue(),
        "out": out,
    }


def test_reference_copies_keep_full_marks_and_are_final(batch_run):
    for name in REFERENCES:
        row = batch_run["rows_first"][name]
        assert (row["status"], row["total"], row["max_score"]) == ("pass", "100", "100"), row
        assert batch_run["stamped_first"][name]
        assert batch_run["second"][name].skipped


def test_a_grading_the_machinery_failed_is_an_error_not_a_score(batch_run):
    row = batch_run["rows_first"][NO_SPACE]
    assert row["status"] == "error" and row["total"] == "" and row["producer.ordering"] == "", row
    assert "the grader's own reasons" in row["error"] and "no report could be written" in row["error"], row["error"]
    assert not batch_run["stamped_first"][NO_SPACE]
    assert batch.is_error(batch_run["first"][NO_SPACE].report, batch_run["first"][NO_SPACE].error)
    assert "could not be graded automatically" in batch_run["feedback_first"][NO_SPACE]
    assert f"{NO_SPACE}: error" in batch_run["progress"]


def test_the_failed_grading_is_graded_again_next_time_and_then_counts(batch_run):
    outcome = batch_run["second"][NO_SPACE]
    assert not outcome.skipped
    row = batch_run["rows_second"][NO_SPACE]
    assert (row["status"], row["total"]) == ("pass", "100"), row
    assert (batch_run["out"] / NO_SPACE / batch.HASH_FILE).is_file()
    assert [name for name, o in batch_run["second"].items() if not o.skipped] == [NO_SPACE]


def test_a_slow_answer_file_costs_only_its_own_choice_points(batch_run):
    row = batch_run["rows_first"]["hostile_answers"]
    points = {task.id: task.points for task in manifest.load()}
    assert row["status"] == "fail" and float(row["total"]) == 100 - sum(points[t] for t in CHOICE_TASKS), row
    assert all(float(row[task]) == 0 for task in CHOICE_TASKS)
    assert batch_run["stamped_first"]["hostile_answers"]  # the learner's own result: final


def test_hostile_text_costs_only_the_task_it_breaks(batch_run):
    row = batch_run["rows_first"]["hostile_text"]
    assert row["status"] == "fail" and float(row["producer.stats"]) == 0, row
    assert float(row["total"]) == 100 - float(batch_run["rows_first"]["reference_a"]["producer.stats"])


def _outputs(batch_run, capsys) -> dict[str, str]:
    """Every output the hostile text may reach, as text."""
    folder = batch_run["out"] / "hostile_text"
    raw = (folder / "results.json").read_bytes()
    report = json.loads(raw.decode("utf-8"))  # strict: an encoded lone surrogate would fail here
    classroom._explain(report, classroom.to_runners(report))
    explained = capsys.readouterr().out
    return {
        "results.json": raw.decode("utf-8"),
        "feedback.md": (folder / "feedback.md").read_text(encoding="utf-8"),
        "gradebook.csv": (batch_run["out"] / gradebook.GRADEBOOK).read_text(encoding="utf-8"),
        "console": report_module.render(report),
        "progress": batch_run["progress"],
        "gradescope": json.dumps(gradescope.to_gradescope(report, "", 1.0), ensure_ascii=False),
        "classroom": json.dumps(classroom.to_runners(report), ensure_ascii=False),
        "classroom log": explained,
    }


def test_the_hostile_text_reaches_every_output_inert(batch_run, capsys):
    outputs = _outputs(batch_run, capsys)
    report = json.loads(outputs["results.json"])
    stats = [t for t in report["tests"] if t["task"] == "producer.stats" and t["status"] == "failed"]
    assert stats and "grader-title" in stats[0]["message"] and "\ufffd" in stats[0]["message"]  # shown, made inert
    assert any("grader-title" in m["answer"] for m in report["manual"])
    for name, text in outputs.items():
        assert unsafe_in(text) == [], name


def test_feedback_shows_learner_text_only_inside_fences(batch_run):
    feedback = batch_run["feedback_first"]["hostile_text"]
    assert "grader-title" in feedback  # the message is there, inside a fence
    prose = outside_fences(feedback)
    assert FORGED_SCORE not in prose and "![" not in prose and "<img" not in prose and "](http" not in prose
    assert prose.count("Automatic score:") == 1


def test_gradescope_shows_learner_text_only_inside_fences(batch_run):
    report = json.loads((batch_run["out"] / "hostile_text" / "results.json").read_text(encoding="utf-8"))
    results = gradescope.to_gradescope(report, "", 1.0)
    for test in results["tests"]:
        prose = outside_fences(test["output"])
        assert FORGED_SCORE not in prose and "![" not in prose and "<img" not in prose, test["name"]


def test_gradebook_cells_start_no_formula(batch_run):
    with (batch_run["out"] / gradebook.GRADEBOOK).open(encoding="utf-8", newline="") as stream:
        cells = [cell for line in csv.reader(stream) for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    answer = batch_run["rows_first"]["hostile_text"][gradebook.ANSWER_PREFIX + "discussion.q1"]
    assert answer.startswith("'=HYPERLINK(") and "grader-title" in answer


def test_the_classroom_log_runs_no_workflow_command_from_learner_text(batch_run, capsys):
    outputs = _outputs(batch_run, capsys)
    lines = outputs["classroom log"].splitlines()
    stop = [i for i, line in enumerate(lines) if line.startswith("::stop-commands::")]
    assert len(stop) == 1
    token = lines[stop[0]].removeprefix("::stop-commands::")
    resume = lines.index(f"::{token}::")
    assert "grader-title" in "\n".join(lines[stop[0] : resume])  # the report, learner text included, in between


def test_a_grading_killed_outright_leaves_nothing_after_the_next_one(tmp_path: Path):
    """SIGKILL, as a batch timeout sends it: the killed grading's folders stay until the next
    grading starts, which removes them, and never a folder of a grading still running."""
    import os
    import signal
    import subprocess
    import time

    from grader.pipeline import leftovers

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    grading = subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", str(REFERENCE.parent), str(tmp_path / "out"), "--processes", "1"],
        cwd=batch.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list(temp.glob("grader-*"))) < 2 and time.monotonic() < deadline and grading.poll() is None:
        time.sleep(0.05)
    left = sorted(p.name for p in temp.glob("grader-*"))
    assert len(left) == 2 and grading.poll() is None, left  # its own folder and its worker's
    assert leftovers.sweep(temp) == []  # in use: kept
    os.kill(grading.pid, signal.SIGKILL)
    grading.wait()
    assert sorted(p.name for p in temp.glob("grader-*")) == left  # a killed grading cleans nothing
    # The kill may land while the grading was starting its worker: the new process holds copies
    # of the grading's descriptors, locks included, until its exec closes them, which on a busy
    # machine can take a while. The locks go with it, and a later sweep removes the folders.
    removed: list[str] = []
    deadline = time.monotonic() + 30
    while sorted(removed) != left and time.monotonic() < deadline:
        removed += leftovers.sweep(temp)
        time.sleep(0.05)
    assert sorted(removed) == left
    assert list(temp.glob("grader-*")) == []


# Grades the reference's get_stats checks with TMPDIR on a small tmpfs that is filled up right
# after the exercises are copied: what a neighbour filling the shared temporary folder did.
FULL_DISK_DRIVER = """
import json, os, sys
from pathlib import Path
from grader.pipeline import grade

real_copy = grade.copy_exercises

def copy_then_fill(source, target):
    copied = real_copy(source, target)
    with open(os.path.join(os.environ["TMPDIR"], "filler"), "wb") as handle:
        try:
            while True:
                handle.write(b"x" * 65536)
                handle.flush()
        except OSError:
            pass
    return copied

grade.copy_exercises = copy_then_fill
report = grade.grade(Path(sys.argv[1]), include_hidden=False, extra_args=["-k", "producer and stats"], processes=1)
print(json.dumps({"status": report["status"], "problems": report["problems"], "score": report["score"]}))
"""


def test_runs_that_cannot_write_their_results_on_a_full_disk_make_an_error_not_a_score(tmp_path: Path):
    import os
    import shutil as shell
    import subprocess

    if os.geteuid() != 0 or shell.which("unshare") is None:
        pytest.skip("only as root with unshare: the test mounts a small tmpfs in a mount namespace of its own")
    temp = tmp_path / "full"
    temp.mkdir()
    script = 'mount -t tmpfs -o size=4m tmpfs "$1" && TMPDIR="$1" exec "$2" -c "$3" "$4"'
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            str(temp),
            sys.executable,
            FULL_DISK_DRIVER,
            str(REFERENCE),
        ],
        cwd=batch.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"no tmpfs could be mounted here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == "error", found
    assert any("the grader itself failed" in p and "no space left" in p for p in found["problems"]), found
