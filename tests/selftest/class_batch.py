"""A small class for the class report's self-tests: 13 submissions, 5 of them graded for real.

Graded: the reference (``ada``), the stubs (``bo``), the module-style code (``cy``) and two
mutants (``dee``, ``eli``), each with its own answer sheet. The others reuse a graded report,
as a batch of the same code would get it: ``fay`` is a near-copy of ``cy`` (names changed,
comments gone), ``hal`` ... ``kim`` are the alternative solutions (their reports are the
reference's: tests/selftest/test_alternatives.py shows they score the same), ``lee``'s grading
failed (status "error") and ``mo``'s never finished (no results.json). The code of every
submission is in SUBMISSIONS for the similarity check: the alternatives on top of the stubs, so
each one's own file is what it is compared by.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from grader import manifest
from grader.paths import ROOT
from instructor import batch, gradebook
from tests.mutants.mutants import MUTANTS
from tests.mutants.patching import Job, grade_all, materialize, shared_dir

ALTERNATIVES = ROOT / "tests" / "submissions" / "alternatives"
MODULE_STYLE = ROOT / "tests" / "submissions" / "module_style" / "exercises"
HOSTILE_ANSWER = '<script>alert(1)</script><img src="http://example.invalid/x.png"> \x1b[31mred\x1b[0m'
# Letters per learner for checkpoint.q1, checkpoint.q2, discussion.q3 ("" leaves it empty).
SHEETS = {
    "ada": ("C", "D", "C", "Pull: the consumer asks for records at its own pace."),
    "cy": ("A", "D", "B", HOSTILE_ANSWER),
    "dee": ("C", "B", "C", "Push would overwhelm a slow consumer."),
    "eli": ("B", "D", "", ""),
}
COPIES = {"fay": "cy", "hal": "ada", "ivy": "ada", "jon": "ada", "kim": "ada"}
ALTERNATIVE_OF = {"hal": "batching", "ivy": "generator_consumer", "jon": "injected_client", "kim": "module_client"}
MUTANT_OF = {"dee": "counters_characters", "eli": "fixed_limit_of_100"}
GRADED = ["ada", "bo", "cy", "dee", "eli", "fay", "hal", "ivy", "jon", "kim"]
ERRORS = ["lee", "mo"]
SIMILARITY_PYTHON = ROOT / ".venv-similarity" / "bin" / "python"
# Modification times of the results.json files: "when it ran" is the newest.
NEWEST = 1_800_003_600  # 2027-01-15 09:00:00 UTC


def fill_sheet(stub: str, q1: str, q2: str, q3: str, written: str) -> str:
    """The stub's checkpoint.md with the given answers on its Answer: lines."""
    answers = {"checkpoint.q1": q1, "checkpoint.q2": q2, "discussion.q3": q3, "checkpoint.q3": written}
    lines, question = [], None
    for line in stub.splitlines():
        if line.startswith("## "):
            question = line[3:].split(":")[0].strip()
        if line.strip() == "Answer:" and question in answers and answers[question]:
            line = f"Answer: {answers[question]}"
            question = None
        lines.append(line)
    return "\n".join(lines) + "\n"


def _code(name: str, target: Path) -> Path:
    """Write one learner's exercises/ (code and sheet) under ``target``; return the folder."""
    exercises = target / "exercises"
    stub_sheet = (ROOT / "exercises" / "checkpoint.md").read_text(encoding="utf-8")
    if name == "ada":
        materialize(target)
    elif name in MUTANT_OF:
        mutant = next(m for m in MUTANTS if m.id == MUTANT_OF[name])
        materialize(target, mutant.patches)
    else:
        exercises.mkdir(parents=True, exist_ok=True)
        for source in (ROOT / "exercises").glob("*.py"):
            shutil.copyfile(source, exercises / source.name)
    if name in ("cy", "fay"):
        for source in MODULE_STYLE.glob("*.py"):
            text = source.read_text(encoding="utf-8")
            if name == "fay":  # a near-copy: other names, no comments
                text = text.replace("stream_name", "name_of_stream").replace("client", "kin")
                text = "\n".join(line.split("  #")[0] for line in text.splitlines()) + "\n"
            (exercises / source.name).write_text(text, encoding="utf-8")
    if name in ALTERNATIVE_OF:
        shutil.copytree(ALTERNATIVES / ALTERNATIVE_OF[name], target, dirs_exist_ok=True)
    sheet = SHEETS.get(COPIES.get(name, name))
    (exercises / "checkpoint.md").write_text(fill_sheet(stub_sheet, *sheet) if sheet else stub_sheet, encoding="utf-8")
    return exercises


def build(root: Path) -> tuple[Path, Path, dict[str, dict]]:
    """SUBMISSIONS and GRADES folders under ``root``; returns them and the graded reports."""
    submissions, grades = root / "submissions", root / "grades"
    for name in GRADED + ERRORS:
        _code(name, submissions / name)
    jobs = [Job(name, _code(name, shared_dir() / "class" / name)) for name in ("ada", "bo", "cy", "dee", "eli")]
    graded = {name: report for name, (report, _) in grade_all(jobs, reuse=True).items()}
    reports = {name: graded[COPIES.get(name, name)] for name in GRADED}
    error_report = {**graded["bo"], "status": "error", "problems": ["the grading's worker died: no score"]}
    outcomes = []
    for index, name in enumerate(GRADED + ["lee"]):
        report = reports.get(name, error_report)
        folder = grades / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "results.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        when = NEWEST if name == "jon" else NEWEST - 3600 - index * 60  # the newest is not the first read
        os.utime(path, (when, when))
        outcomes.append(batch.Outcome(name, report, ""))
    (grades / "mo").mkdir()
    (grades / "mo" / "feedback.md").write_text("# Feedback: mo\n\nNot graded.\n", encoding="utf-8")
    outcomes.append(batch.Outcome("mo", None, "grading took longer than 900 s and was stopped"))
    batch.write_gradebook(grades, outcomes)
    manual = root / "manual.csv"
    manual.write_text("submission,task,points\nada,checkpoint.q3,3\n", encoding="utf-8")
    gradebook.import_manual(manual, grades / gradebook.GRADEBOOK, manifest.load())
    return submissions, grades, reports


def run_similarity(submissions: Path, grades: Path) -> dict:
    """``make similarity``'s command, in the similarity venv; what it wrote to similarity.json."""
    command = [str(SIMILARITY_PYTHON), "-m", "instructor.similarity", str(grades), str(submissions)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((grades / "similarity.json").read_text(encoding="utf-8"))
