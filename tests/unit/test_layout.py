"""The layout keeps its promises: what ships never needs the instructor's tools, and one
definition says what is secret."""

from __future__ import annotations

import ast
from pathlib import Path

from grader import secrets
from grader.paths import ROOT


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_nothing_shipped_imports_the_instructor_package():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imported_modules(path) if m.split(".")[0] == "instructor")
        for path in (ROOT / "grader").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_secret_paths():
    for path in (
        "solutions/enhanced_producer.py",
        "grader/hidden/test_hidden_limits.py",
        "grader/hidden",
        "instructor/release.py",
        ".git/HEAD",
        "tests/mutants/producer.py",
        "copy/of/answer_key.toml",
    ):
        assert secrets.is_secret(path), path
    for path in (
        "grader/pipeline/grade.py",
        "grader/hiddenness.py",
        "tests/public/test_producer.py",
        "exercises/enhanced_consumer.py",
        "solutions-notes.md",
    ):
        assert not secrets.is_secret(path), path


def test_the_sandbox_refuses_to_let_learner_code_read_a_secret_folder(tmp_path):
    """The sandbox uses the same definition: a folder learner code would need to read (a venv,
    say) that is the repository, lies above it or inside one of its secret folders is refused."""
    from grader.sandbox.isolation import _exposes_secrets

    root = ROOT.resolve()
    assert _exposes_secrets(root)
    assert _exposes_secrets(root.parent)
    assert _exposes_secrets(root / "solutions" / ".venv")
    assert _exposes_secrets(root / "grader" / "hidden" / "lib")
    assert not _exposes_secrets(root / ".venv" / "lib")
    assert not _exposes_secrets(tmp_path)


def _kind_compared_to_text(path: Path) -> list[int]:
    """Lines comparing a task's ``kind`` (``t.kind``, ``task["kind"]``) with a literal string."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names_kind = any(
            (isinstance(side, ast.Attribute) and side.attr == "kind")
            or (isinstance(side, ast.Subscript) and isinstance(side.slice, ast.Constant) and side.slice.value == "kind")
            for side in sides
        )
        literals = [
            c.value
            for side in sides
            for c in ast.walk(side)
            if isinstance(c, ast.Constant) and c.value in {"code", "choice", "written"}
        ]
        if names_kind and literals:
            lines.append(node.lineno)
    return lines


def test_task_kinds_are_compared_as_the_enum():
    offenders = {
        str(path.relative_to(ROOT)): _kind_compared_to_text(path)
        for folder in ("grader", "instructor")
        for path in (ROOT / folder).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
