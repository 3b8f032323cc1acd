"""Clauses rendered from their one source (``grader/clauses.toml``) into the texts learners read.

- Docstrings: a line ``Contract (task <id>):`` in a docstring opens a block that runs to the
  next blank line; its lines are rewritten from the source. The core clauses come first,
  numbered; at the core level the full clauses follow under "Going further", numbered on.
- The learner README: the lines between ``<!-- contract: <task id> -->`` and
  ``<!-- end contract -->`` get the task's graded clauses as a numbered list; those between
  ``<!-- going further -->`` and ``<!-- end going further -->`` the clauses not graded at
  the level (nothing at the full level).

``make stubs`` writes all of these (``instructor.stubs``); a self-test says when they are out
of sync.
"""

from __future__ import annotations

import re
import textwrap

from grader import clauses

WIDTH = 92
BLOCK_RE = re.compile(r"^(\s*)Contract \(task ([\w.]+)\):\s*$")
README_RE = re.compile(r"(<!-- contract: ([\w.]+) -->\n)(.*?)(<!-- end contract -->)", re.S)
FURTHER_RE = re.compile(r"(<!-- going further -->\n)(.*?)(<!-- end going further -->)", re.S)
GOING_FURTHER = "Going further (full level: not graded unless your instructor chose it):"


def _rst(text: str) -> str:
    """Markdown `code` as reStructuredText ``code`` (docstrings)."""
    return re.sub(r"`([^`]+)`", r"``\1``", text)


def _numbered(number: int, clause: clauses.Clause, indent: str, rst: bool) -> list[str]:
    text = _rst(clause.text) if rst else clause.text
    head = f"{indent}{number}. [{clause.id}] " if rst else f"{number}. **{clause.id}**: "
    rest = indent + " " * (len(str(number)) + 2) if rst else " " * (len(str(number)) + 2)
    return textwrap.wrap(text, WIDTH - (0 if rst else 4), initial_indent=head, subsequent_indent=rest)


def graded_and_further(task: str, level: str) -> tuple[list[clauses.Clause], list[clauses.Clause]]:
    """A task's clauses graded at ``level``, and the others."""
    mine = clauses.of_task(task)
    return [c for c in mine if clauses.includes(level, c.level)], [
        c for c in mine if not clauses.includes(level, c.level)
    ]


def docstring_block(task: str, level: str, indent: str) -> list[str]:
    """The lines of a docstring's contract block for ``task`` at ``level`` (header included)."""
    graded, further = graded_and_further(task, level)
    lines = [f"{indent}Contract (task {task}):"]
    for number, clause in enumerate(graded, 1):
        lines += _numbered(number, clause, indent, rst=True)
    if further:
        lines.append(f"{indent}{GOING_FURTHER}")
        for number, clause in enumerate(further, len(graded) + 1):
            lines += _numbered(number, clause, indent, rst=True)
    return lines


def render_docstrings(text: str, level: str) -> str:
    """``text`` (Python source) with every contract block rewritten from the source at ``level``."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        match = BLOCK_RE.match(lines[index])
        if match is None:
            out.append(lines[index])
            index += 1
            continue
        out += docstring_block(match.group(2), level, match.group(1))
        index += 1
        while index < len(lines) and lines[index].strip() and '"""' not in lines[index]:
            index += 1
    return "\n".join(out)


def readme_list(task: str, level: str) -> str:
    """A task's graded clauses as a numbered Markdown list."""
    graded, _ = graded_and_further(task, level)
    return "".join(line + "\n" for n, c in enumerate(graded, 1) for line in _numbered(n, c, "", rst=False))


def going_further(level: str) -> str:
    """The README's "Going further" part: per task, the clauses not graded at ``level``."""
    parts = []
    for task in dict.fromkeys(c.task for c in clauses.load()):
        graded, further = graded_and_further(task, level)
        if further:
            items = [ln for n, c in enumerate(further, len(graded) + 1) for ln in _numbered(n, c, "", rst=False)]
            parts.append(f"`{task}`, going on from its contract:\n\n" + "\n".join(items) + "\n")
    if not parts:
        return ""
    return (
        "## Going further (not graded)\n\n"
        "Production code must also survive what AWS does under load and over time. These clauses\n"
        "are the exercise's full level: **they are not graded** unless your instructor chose that\n"
        "level (`make check` prints the level), and no check of the level you are graded at needs them.\n\n"
        + "\n".join(parts)
        + "\n"
    )


def render_readme(text: str, level: str) -> str:
    """The learner README with its contract lists and "Going further" part rendered at ``level``."""
    text = README_RE.sub(lambda m: m.group(1) + readme_list(m.group(2), level) + m.group(4), text)
    return FURTHER_RE.sub(lambda m: m.group(1) + going_further(level) + m.group(3), text)
