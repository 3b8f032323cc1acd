"""Gradescope: build ``autograder.zip`` and, inside Gradescope, grade one submission.

``python -m grader.platform.gradescope build OUT`` writes ``OUT/autograder.zip`` (``setup.sh``
and ``run_autograder`` at its root, the grader with its hidden tests inside).
``run_autograder`` calls ``python -m grader.platform.gradescope run``, which grades
``$ROOT/submission`` in a child process and writes ``$ROOT/results/results.json`` in a
``finally``, so a crash still gives the learner a result that says what happened.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from grader.platform.classroom import run_grading

ROOT = Path(__file__).resolve().parent.parent.parent
PACKED = ("grader", "tests/public")
PACKED_FILES = ("requirements.lock", "pyproject.toml")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. The image's python3 is used
# when it is 3.11 or newer (Ubuntu 24.04 has 3.12 and no python3.11 package); older images
# get python3.11 from apt (Ubuntu 22.04 has it).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
PY=""
for candidate in python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && recent "$candidate"; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
fi
echo "Python for the autograder: $PY ($("$PY" --version 2>&1))"
if ! "$PY" -m venv "$ROOT/venv"; then
  # Debian and Ubuntu ship venv's pip bootstrap in a package of its own.
  rm -rf "$ROOT/venv"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$("$PY" -c 'import sys; print(f"python3.{sys.version_info[1]}-venv")')"
  "$PY" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/source/requirements.lock"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) and
# AUTOGRADER_PYTHON let the same script run anywhere else, e.g. for a dry run.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-}"
case "$PY" in
  /*|"") ;;
  */*) PY="$PWD/$PY" ;;  # relative to where the script was started, before the cd below
esac
if [ -z "$PY" ]; then
  if [ -x "$ROOT/venv/bin/python" ]; then PY="$ROOT/venv/bin/python"; else PY="$(command -v python3.11 || command -v python3)"; fi
fi
cd "$ROOT/source" && exec "$PY" -m grader.platform.gradescope run --root "$ROOT"
"""


def _packed_files() -> list[Path]:
    """Files of the grader and public tests (hidden tests included), relative to ROOT."""
    files = [Path(name) for name in PACKED_FILES]
    for folder in PACKED:
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in relative.parts) and path.suffix != ".pyc":
                files.append(relative)
    return files


def build(out: Path) -> Path:
    """Write ``out/autograder.zip`` and return its path."""
    if not any((ROOT / "grader" / "hidden").glob("test_*.py")):
        print("warning: grader/hidden has no tests: Gradescope will run the public tests only", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "autograder.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable once Gradescope unzips it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for relative in _packed_files():
            archive.write(ROOT / relative, relative.as_posix())
    return target


def find_exercises(submission: Path) -> Path | None:
    """The folder holding the learner's files: ``exercises/``, the top level, or one folder down."""
    def holds_work(folder: Path) -> bool:
        return folder.is_dir() and any(p.suffix in (".py", ".md") for p in folder.iterdir() if p.is_file())

    levels = [submission] + sorted(p for p in submission.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    for folder in levels:
        if holds_work(folder / "exercises"):
            return folder / "exercises"
        if holds_work(folder):
            return folder
    return None


def _markdown_lines(text: str) -> str:
    """Plain text for Markdown: line breaks kept, and `__init__` or `a*b` not read as emphasis."""
    escaped = text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")
    return "  \n".join(escaped.splitlines())


def to_gradescope(report: dict[str, Any] | None, error: str, seconds: float) -> dict[str, Any]:
    """Gradescope's results.json: a test per check, hidden ones shown once grades are published."""
    tests: list[dict[str, Any]] = []
    tasks = {t["id"]: t for t in report["tasks"]} if report else {}
    for test in report["tests"] if report else []:
        task = tasks.get(test["task"], {})
        output = _markdown_lines(test["message"]) if test["message"] else "Passed."
        if test["status"] != "passed" and task.get("hint"):
            output += f"\n\n**Hint:** {_markdown_lines(task['hint'])}"
        if test["output"]:
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", test["output"])), default=0))
            output += f"\n\nYour code printed:\n\n{fence}\n{test['output']}\n{fence}"
        tests.append({
            "name": f"{task.get('number', '?')}. {task.get('title', test['task'])}: {test['name']}",
            "score": test["score"], "max_score": test["max_score"],
            "status": "passed" if test["status"] == "passed" else "failed",
            "output": output, "output_format": "md",
            "visibility": "after_published" if test["hidden"] else "visible",
        })
    summary = []
    if report is not None:
        visible = [t for t in tests if t["visibility"] == "visible"]
        if len(visible) == len(tests):
            summary.append(f"Automatic checks: **{_num(report['score'])} / {_num(report['max_score'])}** points.")
        else:  # while hidden tests are hidden, so is anything that adds up their points
            got, out_of = sum(t["score"] for t in visible), sum(t["max_score"] for t in visible)
            summary.append(f"Visible checks: **{_num(got)} / {_num(out_of)}** points. "
                           f"{len(tests) - len(visible)} more checks count towards your score; "
                           "their results, and your total, are shown once grades are published.")
        written = [m["id"] for m in report.get("manual", [])]
        if written:
            summary.append(f"Written answers ({', '.join(written)}) are graded by hand.")
        summary += [f"- {problem}" for problem in report.get("problems", [])]
    if error or report is None:
        message = error or "the autograder produced no report"
        summary.append(f"The autograder could not finish: {message}. Your instructor has been shown this message.")
        tests.append({"name": "Autograder", "score": 0, "max_score": 0, "status": "failed",
                      "output": _markdown_lines(message), "output_format": "md", "visibility": "visible"})
    return {
        "execution_time": int(round(seconds)),
        "output": "\n\n".join(summary),
        "output_format": "md",
        "tests": tests,
    }


def _num(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def run(root: Path) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json`` whatever happens."""
    started = time.monotonic()
    report: dict[str, Any] | None = None
    error = ""
    staging = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        found = find_exercises(root / "submission")
        if found is None:
            error = "no exercise files found in the submission (upload exercises/ or its files)"
        else:
            shutil.copytree(found, staging / "exercises", symlinks=True)
            report, error = run_grading(staging)
    except BaseException as crash:  # noqa: B036 -- a result must be written whatever went wrong
        error = f"the autograder failed: {type(crash).__name__}: {crash}"
    finally:
        results = to_gradescope(report, error, time.monotonic() - started)
        (root / "results").mkdir(parents=True, exist_ok=True)
        (root / "results" / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(staging, ignore_errors=True)
    print(results["output"])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``build OUT`` or ``run [--root DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m grader.platform.gradescope", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="write OUT/autograder.zip")
    build_command.add_argument("out", type=Path)
    run_command = commands.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    run_command.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"wrote {build(args.out)}")
        return 0
    return run(args.root)


if __name__ == "__main__":
    sys.exit(main())
