"""Generate the learner's exercises/ from the reference solutions/ by clearing solution regions."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from grader.paths import ROOT as REPO_ROOT

BEGIN_RE = re.compile(r"^(\s*)### BEGIN SOLUTION(?:\s+\[([\w.]+)\])?\s*$")
END_RE = re.compile(r"^\s*### END SOLUTION\s*$")
# `def name(` / `async def name(` / `class Name` lines, used to name the method a region belongs to.
_DEF_RE = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(")
_CLASS_RE = re.compile(r"^(\s*)class\s+(\w+)\b")

OUTDATED_MESSAGE = "exercises/ is outdated: run make stubs"
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


def _render(source: Path) -> bytes:
    """The exercise bytes generated from one reference file."""
    data = source.read_bytes()
    try:
        # Decoding bytes ourselves (not read_text) keeps the file's own line endings.
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # not text: nothing to clear, copy it unchanged
    label = str(source)
    stub = strip_solutions(text, label)
    if source.suffix == ".py":
        try:
            compile(stub, label, "exec", dont_inherit=True)
        except SyntaxError as error:
            raise MarkerError(
                label, error.lineno or 0, f"the generated stub is not valid Python: {error.msg}"
            ) from error
    return stub.encode("utf-8")


def generate(solutions_dir: Path, exercises_dir: Path) -> list[Path]:
    """Write one exercise file per reference file and return the written paths."""
    # Render everything first so a marker error leaves exercises/ untouched.
    rendered = [(source.name, _render(source)) for source in _source_files(solutions_dir)]
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in rendered:
        target = exercises_dir / name
        target.write_bytes(data)
        written.append(target)
    return written


def outdated(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """Names of reference files whose generated exercise is missing or differs on disk."""
    stale = []
    for source in _source_files(solutions_dir):
        # Render even when the target is missing, so a marker error is never hidden.
        expected = _render(source)
        target = exercises_dir / source.name
        if not target.is_file() or target.read_bytes() != expected:
            stale.append(source.name)
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
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            for path in generate(args.solutions, args.exercises):
                print(_display(path))
            return 0
        stale = outdated(args.solutions, args.exercises)
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
