"""GitHub Classroom: grade the repository once and emit ``result`` for the grading reporter.

``python -m grader classroom`` runs the grading in a child process (``python -m grader
grade``), so nothing the submission does can take this process down with it, and writes
``result=<base64 JSON>`` to ``$GITHUB_OUTPUT`` in a ``finally``: the reporter always gets a
result with a ``tests`` list, even when the grader crashed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader import manifest

ROOT = Path(__file__).resolve().parent.parent.parent
PUBLIC_TESTS = ROOT / "tests" / "public"
TIMEOUT_SECONDS = 15 * 60
ONLY_PUBLIC = ("Only the public tests ran: the hidden tests are not available to this run, so the score "
               "above is provisional. Your instructor grades the hidden tests and the written answers.")


def grading_command(submission: Path, out: Path) -> list[str]:
    """The child process that grades ``submission`` into ``out/results.json``."""
    return [sys.executable, "-m", "grader", "grade", str(submission), str(out)]


def run_grading(submission: Path, timeout: float = TIMEOUT_SECONDS) -> tuple[dict[str, Any] | None, str]:
    """Grade in a child process: (report, "") or (report or None, what went wrong)."""
    out = Path(tempfile.mkdtemp(prefix="classroom-"))
    try:
        try:
            done = subprocess.run(grading_command(submission, out), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return _read(out), f"the grading did not finish within {timeout:g} seconds"
        report = _read(out)
        if report is None or done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-1500:]
            return report, f"the grader stopped with exit code {done.returncode}: {tail or 'no output'}"
        return report, ""
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _read(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _locate(name: str) -> tuple[str, int]:
    """File and line of a public test function, for the reporter's table ('' and 0 if unknown)."""
    function = name.split("[", 1)[0]
    for path in sorted(PUBLIC_TESTS.glob("test_*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(rf"\s*def {re.escape(function)}\(", line):
                return path.relative_to(ROOT).as_posix(), number
    return "", 0


def _auto_points() -> int:
    return int(sum(t.points for t in manifest.load() if t.kind != "written"))


def to_classroom(report: dict[str, Any] | None, error: str = "") -> dict[str, Any]:
    """The reporter's format: version 1, status, integer max_score, one entry per test."""
    tests: list[dict[str, Any]] = []
    hints = {t["id"]: t["hint"] for t in report["tasks"]} if report else {}
    for test in report["tests"] if report else []:
        hidden = bool(test.get("hidden"))
        filename, line_no = ("", 0) if hidden else _locate(test["name"])
        message = test["message"] or ""
        if test["status"] != "passed" and hints.get(test["task"]):
            message = f"{message}\nHint: {hints[test['task']]}".strip()
        tests.append({
            "name": f"{test['task']}: {test['name']}",
            "status": {"passed": "pass", "failed": "fail"}.get(test["status"], "error"),
            "score": test["score"],
            "message": message,
            "test_code": f"task {test['task']}" + ("" if test.get("scored", True) else " (format check, no points)"),
            "filename": filename,
            "line_no": line_no,
            "duration": int(round(float(test.get("duration", 0)) * 1000)),  # milliseconds, as the reporter expects
        })
    problems = list(report.get("problems", [])) if report else []
    if error:
        problems.append(error)
    for problem in problems:
        tests.append({"name": "autograder", "status": "error", "score": 0, "message": problem,
                      "test_code": "", "filename": "", "line_no": 0, "duration": 0})
    if report is None:
        status, max_score = "error", _auto_points()
    else:
        status, max_score = ("error" if problems else report["status"]), int(round(report["max_score"]))
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def encode(result: dict[str, Any]) -> str:
    """Base64 of the JSON, as the reporter decodes it."""
    return base64.b64encode(json.dumps(result).encode("utf-8")).decode("ascii")


def write_output(result: dict[str, Any]) -> None:
    """Append ``result=...`` to $GITHUB_OUTPUT, or print it when run outside Actions."""
    line = f"result={encode(result)}\n"
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(line)
    else:
        sys.stdout.write(line)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m grader classroom``."""
    parser.add_argument("--submission", default=str(ROOT), help="the repository to grade (its exercises/ folder)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds before the grading is stopped")


def run(args: argparse.Namespace) -> int:
    """Grade the repository and write the result; exit 0 so the reporter step always runs."""
    report: dict[str, Any] | None = None
    error = ""
    try:
        report, error = run_grading(Path(args.submission).resolve(), args.timeout)
    except BaseException as crash:  # noqa: B036 -- even Ctrl-C or SystemExit must leave a result
        error = f"the autograder failed: {type(crash).__name__}: {crash}"
    finally:
        result = to_classroom(report, error)
        write_output(result)
    _explain(report, result)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line, also reachable as ``python -m grader.platform.classroom``."""
    parser = argparse.ArgumentParser(prog="python -m grader classroom", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _explain(report: dict[str, Any] | None, result: dict[str, Any]) -> None:
    """The human-readable report in the job log, and a notice on what was graded."""
    if report is not None:
        from grader import report as reporting

        sys.stdout.write(reporting.render(report))
    for test in result["tests"]:
        if test["name"] == "autograder":
            print(f"::error title=Autograder::{_escape(test['message'][:1000])}")
    if report is not None and report.get("hidden_tests") == "included":
        print("::notice title=Autograding::Public and hidden tests ran.")
    else:
        print(f"::notice title=Autograding::{ONLY_PUBLIC}")
        print(f"\n {ONLY_PUBLIC}")


def _escape(text: str) -> str:
    """A workflow command's message keeps its line breaks only when escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
