"""Generate the learner's exercises/ from the reference solutions/ by clearing solution regions.

The contract blocks of the docstrings (the reference's and the stubs') and the contract
sections of exercises/README.md are rendered from grader/clauses.toml (``instructor.clause_text``):
the reference lists every clause, the stubs and the README those of the level.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from grader import clauses
from grader.paths import ROOT as REPO_ROOT
from instructor import clause_text

BEGIN_RE = re.compile(r"^(\s*)### BEGIN SOLUTION(?:\s+\[([\w.]+)\])?\s*$")
END_RE = re.compile(r"^\s*### END SOLUTION\s*$")
# `def name(` / `async def name(` / `class Name` lines, used to name the method a region belongs to.
_DEF_RE = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(")
_CLASS_RE = re.compile(r"^(\s*)class\s+(\w+)\b")

OUTDATED_MESSAGE = "exercises/ or the reference's docstrings are outdated: run make stubs"
README = "README.md"  # exercises/README.md: hand-written, its contract sections rendered
REFERENCE_LEVEL = "core"  # the reference's docstrings: core clauses, then the full ones under "Going further"
IN_SYNC_MESSAGE = "exercises/ is in sync with solutions/"


class MarkerError(ValueError):
    """A malformed solution region (or a stub that does not compile) in a reference file."""

    def __init__(self, path: str, line_no: int, message: str) -> None:
        super().__init__(f"{path}:{line_no}: {message}")
        self.path = path
        self.line_no = line_no
        self.message = message


def _indent_width(indent: str) -> int:
    """Width of leading whitespace, with tabs counted like Python does (to multiples of 8)."""
    return len(indent.expandtabs(8))


def _line_ending(line: str) -> str:
    """The line ending of `line` ("\\r\\n", "\\n", ...), or "\\n" when it has none."""
    stripped = line.rstrip("\r\n")
    return line[len(stripped) :] or "\n"


def _enclosing_name(lines: list[str], marker_index: int, marker_indent: str) -> str | None:
    """Dotted name (Class.method) of the def/class blocks enclosing the marker line, or None."""
    names: list[str] = []
    limit = _indent_width(marker_indent)
    for line in reversed(lines[:marker_index]):
        if limit == 0:
            break
        match = _DEF_RE.match(line) or _CLASS_RE.match(line)
        if match is None:
            continue
        width = _indent_width(match.group(1))
        # Only a block opened at a smaller indentation can contain the marker; siblings
        # and helpers defined earlier at the same depth are skipped.
        if width < limit:
            names.append(match.group(2))
            limit = width
    if not names:
        return None
    return ".".join(reversed(names))


def _stub_lines(lines: list[str], begin_index: int, indent: str, task: str, path: str) -> list[str]:
    """The two lines that replace a solution region in a .py file."""
    name = _enclosing_name(lines, begin_index, indent)
    what = f"implement {name}" if name else f"complete {Path(path).name}"
    eol = _line_ending(lines[begin_index])
    return [
        f"{indent}# TODO({task}): your code here{eol}",
        f'{indent}raise NotImplementedError("TODO({task}): {what}"){eol}',
    ]


def strip_solutions(text: str, path: str) -> str:
    """Return `text` with every solution region replaced by a TODO stub (.py) or removed."""
    is_python = path.endswith(".py")
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    open_line = 0  # 1-based line of the open BEGIN marker, 0 when outside a region
    open_index = 0
    indent = ""
    task = ""
    has_content = False
    for index, line in enumerate(lines):
        line_no = index + 1
        begin = BEGIN_RE.match(line.rstrip("\r\n"))
        if begin is not None:
            if open_line:
                raise MarkerError(
                    path,
                    line_no,
                    f"nested ### BEGIN SOLUTION (the region opened on line {open_line} is not closed)",
                )
            open_line, open_index = line_no, index
            indent, task = begin.group(1), begin.group(2) or "task"
            has_content = False
            continue
        if END_RE.match(line.rstrip("\r\n")):
            if not open_line:
                raise MarkerError(path, line_no, "### END SOLUTION without a matching ### BEGIN SOLUTION")
            if not has_content:
                raise MarkerError(path, open_line, "empty ### BEGIN SOLUTION region (nothing between the markers)")
            if is_python:
                out.extend(_stub_lines(lines, open_index, indent, task, path))
            open_line = 0
            continue
        if open_line:
            has_content = has_content or bool(line.strip())
        else:
            out.append(line)
    if open_line:
        raise MarkerError(path, open_line, "unclosed ### BEGIN SOLUTION")
    return "".join(out)


def _source_files(solutions_dir: Path) -> list[Path]:
    """Top-level reference files, skipping dotfiles, __pycache__ and sub-directories."""
    return sorted(
        p for p in solutions_dir.iterdir() if p.is_file() and not p.name.startswith(".") and p.name != "__pycache__"
    )


def reference_text(source: Path) -> str | None:
    """A reference .py file as it should be, its contract blocks rendered from the clauses; None if not one."""
    if source.suffix != ".py":
        return None
    return clause_text.render_docstrings(source.read_text(encoding="utf-8"), REFERENCE_LEVEL)


def _render(source: Path, level: str) -> bytes:
    """The exercise bytes generated from one reference file at ``level``."""
    data = source.read_bytes()
    try:
        # Decoding bytes ourselves (not read_text) keeps the file's own line endings.
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # not text: nothing to clear, copy it unchanged
    label = str(source)
    stub = strip_solutions(text, label)
    if source.suffix == ".py":
        stub = clause_text.render_docstrings(stub, level)
        try:
            compile(stub, label, "exec", dont_inherit=True)
        except SyntaxError as error:
            raise MarkerError(
                label, error.lineno or 0, f"the generated stub is not valid Python: {error.msg}"
            ) from error
    return stub.encode("utf-8")


def generate(solutions_dir: Path, exercises_dir: Path, level: str | None = None) -> list[Path]:
    """Render the reference's docstrings, write one exercise file per reference file at ``level``
    (the setting by default) and the README's contract sections; return the written paths."""
    level = clauses.level_or_setting(level)
    written = []
    for source in _source_files(solutions_dir):
        wanted = reference_text(source)
        if wanted is not None and wanted != source.read_text(encoding="utf-8"):
            source.write_text(wanted, encoding="utf-8")
            written.append(source)
    return written + write_exercises(solutions_dir, exercises_dir, level)


def write_exercises(solutions_dir: Path, exercises_dir: Path, level: str) -> list[Path]:
    """Write the stubs of ``solutions_dir`` at ``level`` and render the README's contract sections."""
    # Render everything first so a marker error leaves exercises/ untouched.
    rendered = [(source.name, _render(source, level)) for source in _source_files(solutions_dir)]
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in rendered:
        target = exercises_dir / name
        target.write_bytes(data)
        written.append(target)
    readme = exercises_dir / README
    if readme.is_file():
        readme.write_text(clause_text.render_readme(readme.read_text(encoding="utf-8"), level), encoding="utf-8")
        written.append(readme)
    return written


def outdated(solutions_dir: Path, exercises_dir: Path, level: str | None = None) -> list[str]:
    """Files not as ``make stubs`` would write them at ``level``: exercises missing or different,
    the README's contract sections, the reference's docstrings (``solutions/<name>``)."""
    level = clauses.level_or_setting(level)
    stale = []
    for source in _source_files(solutions_dir):
        wanted = reference_text(source)
        if wanted is not None and wanted != source.read_text(encoding="utf-8"):
            stale.append(f"solutions/{source.name} (its contract docstrings)")
        # Render even when the target is missing, so a marker error is never hidden.
        expected = _render(source, level)
        target = exercises_dir / source.name
        if not target.is_file() or target.read_bytes() != expected:
            stale.append(source.name)
    readme = exercises_dir / README
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if clause_text.render_readme(text, level) != text:
            stale.append(f"{README} (its contract sections)")
    return stale


def _display(path: Path) -> str:
    """A path relative to the working directory when possible, for short output lines."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: `generate` or `check`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m instructor.stubs", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=REPO_ROOT / "exercises")
    parser.add_argument("--level", choices=clauses.LEVELS, default=None, help="default: the setting")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            for path in generate(args.solutions, args.exercises, args.level):
                print(_display(path))
            return 0
        stale = outdated(args.solutions, args.exercises, args.level)
    except MarkerError as error:
        print(error, file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        # A mistyped --solutions directory is a usage error, not an outdated exercises/.
        print(f"{error.filename}: no such file or directory", file=sys.stderr)
        return 2
    if stale:
        print(OUTDATED_MESSAGE)
        for name in stale:
            print(f"  {name}")
        return 1
    print(IN_SYNC_MESSAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
