"""Each clause with its level, its words and the checks that name it (``make clauses``).

The checks are found in the test files themselves, by their ``@pytest.mark.task`` and
``@pytest.mark.clause`` decorators, so the table cannot drift from what is graded.
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from grader import clauses
from grader.paths import ROOT

TEST_FOLDERS = (ROOT / "tests" / "public", ROOT / "grader" / "hidden")


@dataclass(frozen=True)
class Check:
    """One test function: where it is, its task and the clauses it names."""

    name: str
    path: Path
    task: str
    clauses: tuple[str, ...]
    level: str = clauses.LEVELS[0]  # its ``@pytest.mark.level``: the lowest level it counts at

    @property
    def hidden(self) -> bool:
        return self.path.parent.name == "hidden"

    @property
    def label(self) -> str:
        return f"{self.path.relative_to(ROOT)}::{self.name}"


def _mark(decorator: ast.expr, name: str) -> list[str] | None:
    """The string arguments of ``@pytest.mark.<name>(...)``, or None for another decorator."""
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return None
    if decorator.func.attr != name or ast.unparse(decorator.func.value) != "pytest.mark":
        return None
    return [a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def checks(folders: tuple[Path, ...] = TEST_FOLDERS) -> list[Check]:
    """Every test function of the code tasks in ``folders`` (a missing folder has none)."""
    found = []
    for folder in folders:
        for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else []:
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                    continue
                tasks = [t for d in node.decorator_list for t in _mark(d, "task") or []]
                named = tuple(c for d in node.decorator_list for c in _mark(d, "clause") or [])
                marked = [lv for d in node.decorator_list for lv in _mark(d, "level") or []]
                if tasks and tasks[0].startswith(("producer.", "consumer.")):
                    found.append(Check(node.name, path, tasks[0], named, *marked[:1]))
    return found


def counted_at(level: str, found: list[Check], known: dict[str, clauses.Clause]) -> list[Check]:
    """The checks that count at ``level``."""
    return [c for c in found if clauses.includes(level, clauses.test_level(list(c.clauses), known, c.level))]


def render(level: str | None = None) -> str:
    """The table as text: per task, each clause (with its level) and its public and hidden checks."""
    known = clauses.by_id()
    found = checks()
    lines = []
    for task in dict.fromkeys(c.task for c in known.values()):
        lines.append(task)
        for clause in clauses.of_task(task):
            if level and not clauses.includes(level, clause.level):
                continue
            lines.append(f"  {clause.id} [{clause.level}]")
            lines.extend(textwrap.wrap(clause.text, 96, initial_indent="      ", subsequent_indent="      "))
            mine = [c for c in found if clause.id in c.clauses]
            for check in mine:
                only = f" (counts at the {check.level} level)" if check.level != clauses.LEVELS[0] else ""
                lines.append(f"    {'hidden' if check.hidden else 'public'}: {check.label}{only}")
            if not mine:
                lines.append("    (no check names it)")
    untagged = [c for c in found if not c.clauses]
    if untagged:
        lines.append("Checks that name no clause (they count at the full level only):")
        lines.extend(f"  {c.label}" for c in untagged)
    counts = {lv: sum(1 for c in known.values() if clauses.includes(lv, c.level)) for lv in clauses.LEVELS}
    lines.append("Clauses graded: " + ", ".join(f"{n} at {lv}" for lv, n in counts.items()))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table (``--level`` keeps the clauses graded at that level)."""
    parser = argparse.ArgumentParser(prog="python -m instructor.clause_table", description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=clauses.LEVELS, default=None)
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.level))
    return 0


if __name__ == "__main__":
    sys.exit(main())
