"""The published solutions: reference code, explained checkpoint answers, and the stub-to-solution diff."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from grader import manifest
from grader.pipeline.answers import read_answer_key, read_answer_sheet, read_questions, read_written
from grader.pipeline.choice import read_choice
from instructor import stubs
from instructor.release import ROOT, ReleaseError, _check_target

SOLUTIONS = ROOT / "solutions"
ANSWER_KEY = ROOT / "grader" / "hidden" / "answer_key.toml"
CHECKPOINT = "checkpoint.md"


def without_markers(text: str) -> str:
    """The reference file with its solution marker lines removed, code kept."""
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not (stubs.BEGIN_RE.match(line.rstrip("\r\n")) or stubs.END_RE.match(line.rstrip("\r\n")))
    )


def answer_key() -> dict[str, dict[str, Any]]:
    """The answer key by question id ({} when the hidden folder is absent)."""
    return read_answer_key(ANSWER_KEY)


def answers_markdown() -> str:
    """ANSWERS.md: every question, its answer, and why."""
    tasks = manifest.by_id(manifest.load())
    text = (SOLUTIONS / CHECKPOINT).read_text(encoding="utf-8")
    asked = read_questions(text)
    sheet = read_answer_sheet(SOLUTIONS / CHECKPOINT, [q.id for q in asked], label=f"solutions/{CHECKPOINT}")
    key = answer_key()
    parts = [
        "# Checkpoint answers\n",
        (
            "Multiple-choice answers with the reasoning behind them, and model answers for the written "
            "questions. A written answer that makes the same points in other words earns full marks.\n"
        ),
    ]
    for question in asked:
        task = tasks.get(question.id)
        parts.append(f"## {question.heading}\n\n{question.text}\n")
        if task is not None and task.kind == manifest.Kind.CHOICE:
            letter, _ = read_choice(sheet, question.id)
            entry = key.get(question.id)
            if entry is None:
                raise ReleaseError(f"{question.id} has no entry in {ANSWER_KEY.relative_to(ROOT)}")
            if letter and entry["answer"].strip().upper() != letter:
                raise ReleaseError(
                    f"{question.id}: the answer key says {entry['answer']}, solutions/{CHECKPOINT} says {letter}"
                )
            parts.append(f"**Answer: {entry['answer']}**\n\n{' '.join(entry['explanation'].split())}\n")
        else:
            model, problem = read_written(sheet, question.id)
            if not model:
                raise ReleaseError(f"solutions/{CHECKPOINT} has no model answer for {question.id}: {problem}")
            points = f" ({task.manual_points} points, graded by hand)" if task is not None else ""
            parts.append(f"**Model answer**{points}\n\n{model}\n")
    return "\n".join(parts)


def solutions_diff() -> str:
    """A unified diff from each learner stub to its reference, as learners would apply it."""
    chunks = []
    for source in sorted(SOLUTIONS.glob("*.py")):
        text = source.read_text(encoding="utf-8")
        stub = stubs.strip_solutions(text, str(source))
        chunks.extend(
            difflib.unified_diff(
                stub.splitlines(keepends=True),
                without_markers(text).splitlines(keepends=True),
                fromfile=f"a/exercises/{source.name}",
                tofile=f"b/exercises/{source.name}",
                n=3,
            )
        )
    return "".join(chunks)


README = """# Solutions

- `solutions/`: the reference implementation of every task.
- `ANSWERS.md`: the checkpoint answers, each explained, and model answers to the written questions.
- `solutions.diff`: what changes from the stubs you started with to the reference. Read it
  file by file, or apply it to an untouched copy of `exercises/` with `git apply solutions.diff`.

The reference is one correct answer, not the only one: if your code passed every check it is right too.
"""


def build_solutions(out: Path) -> list[Path]:
    """Write the published solutions to ``out`` (which must not exist or be empty)."""
    _check_target(out)
    files: dict[str, str] = {"README.md": README, "ANSWERS.md": answers_markdown(), "solutions.diff": solutions_diff()}
    for source in sorted(SOLUTIONS.glob("*.py")):
        files[f"solutions/{source.name}"] = without_markers(source.read_text(encoding="utf-8"))
    for name, text in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted(Path(name) for name in files)
