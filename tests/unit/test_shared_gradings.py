"""Self-tests share a grading only when the grader would read the same submission."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.mutants.patching import REFERENCE, Job, _key, content_hash


def _copy(target: Path) -> Path:
    shutil.copytree(REFERENCE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_copies_in_other_folders_have_the_same_digest(tmp_path: Path) -> None:
    assert content_hash(_copy(tmp_path / "a")) == content_hash(_copy(tmp_path / "b")) == content_hash(REFERENCE)


def test_one_changed_byte_or_file_name_changes_the_digest(tmp_path: Path) -> None:
    folder = _copy(tmp_path / "a")
    before = content_hash(folder)
    path = folder / "enhanced_producer.py"
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")
    edited = content_hash(folder)
    path.rename(folder / "renamed.py")
    assert len({before, edited, content_hash(folder)}) == 3


def test_what_the_grader_does_not_copy_is_left_out(tmp_path: Path) -> None:
    folder = _copy(tmp_path / "a")
    before = content_hash(folder)
    (folder / ".hidden").write_text("x", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.py").write_text("x", encoding="utf-8")
    (folder / "link.py").symlink_to(folder / "enhanced_producer.py")
    assert content_hash(folder) == before


def test_level_hidden_tests_and_selection_are_part_of_the_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path / "a")
    keys = {
        _key(Job("a", folder, level="core")),
        _key(Job("a", folder, level="full")),
        _key(Job("a", folder, include_hidden=False, level="core")),
        _key(Job("a", folder, extra_args=["-k", "producer"], level="core")),
    }
    assert len(keys) == 4
    assert _key(Job("a", folder, level="core")) == _key(Job("b", REFERENCE, level="core"))
