"""Self-tests of the published solutions: clean reference code, explained answers, an applicable diff."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.pipeline.answers import read_answer_sheet, read_written
from instructor import release, release_solutions

ROOT = release.ROOT
WRITTEN = ["checkpoint.q3", "discussion.q1", "discussion.q2"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One solutions release for the whole module."""
    out = tmp_path_factory.mktemp("published") / "solutions-release"
    assert release.main(["solutions", str(out)]) == 0
    return out


def test_reference_code_is_clean_and_complete(published: Path) -> None:
    names = sorted(p.name for p in (published / "solutions").iterdir())
    assert names == sorted(p.name for p in (ROOT / "solutions").glob("*.py"))
    for name in names:
        clean = (published / "solutions" / name).read_text(encoding="utf-8")
        assert "### BEGIN SOLUTION" not in clean and "### END SOLUTION" not in clean
        compile(clean, name, "exec")
        reference = (ROOT / "solutions" / name).read_text(encoding="utf-8").splitlines()
        assert clean.splitlines() == [
            line for line in reference if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
        ]


def test_answers_are_explained_and_written_questions_have_model_answers(published: Path) -> None:
    answers = (published / "ANSWERS.md").read_text(encoding="utf-8")
    sections = {block.split(":", 1)[0].strip(): block for block in answers.split("\n## ")[1:]}
    for qid, letter in {"checkpoint.q1": "C", "checkpoint.q2": "D", "discussion.q3": "C"}.items():
        body = sections[qid]
        assert f"**Answer: {letter}**" in body
        explanation = body.split(f"**Answer: {letter}**", 1)[1].strip()
        assert len(explanation.split()) >= 12, f"{qid} needs an explanation"
    sheet = read_answer_sheet(ROOT / "solutions" / "checkpoint.md", WRITTEN)
    for qid in WRITTEN:
        model, _ = read_written(sheet, qid)
        assert model and model in sections[qid]
        assert "**Model answer**" in sections[qid]


def test_diff_turns_the_stubs_into_the_reference(published: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "exercises", work / "exercises")
    diff = (published / "solutions.diff").read_text(encoding="utf-8")
    assert diff.startswith("--- a/exercises/") and "\n+++ b/exercises/" in diff
    applied = subprocess.run(
        ["git", "apply", str(published / "solutions.diff")], cwd=work, capture_output=True, text=True, check=False
    )
    assert applied.returncode == 0, applied.stderr
    for clean in (published / "solutions").iterdir():
        assert (work / "exercises" / clean.name).read_text(encoding="utf-8") == clean.read_text(encoding="utf-8")


def test_a_key_that_disagrees_with_the_reference_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "answer_key.toml"
    key.write_text('[checkpoint.q1]\nanswer = "A"\nexplanation = "x"\n', encoding="utf-8")
    monkeypatch.setattr(release_solutions, "ANSWER_KEY", key)
    with pytest.raises(release.ReleaseError, match="checkpoint.q1: the answer key says A"):
        release_solutions.answers_markdown()
    assert release_solutions.answer_key()["checkpoint.q1"]["answer"] == "A"
