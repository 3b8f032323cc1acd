"""GitHub Classroom: grade the repository once and emit ``result`` for the grading reporter.

``python -m grader classroom`` runs the grading in a child process (``python -m grader
grade``), so nothing the submission does can take this process down with it, and writes, in a
``finally``, one reporter result per task (``task1=<base64 JSON>`` ...) and their list
(``runners=task1,task2,...``) to ``$GITHUB_OUTPUT``: the reporter always gets valid results,
with an ``autograder`` runner saying what went wrong when the grader crashed.

``python -m grader classroom --missing`` writes the ``autograder`` result alone, for the
workflow step that runs when the grading step gave nothing (setup or the hidden-test fetch
failed); ``--why`` says what failed.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader import manifest
from grader.paths import ROOT
from grader.text_safety import clean, clean_tree

PUBLIC_TESTS = ROOT / "tests" / "public"
TIMEOUT_SECONDS = 15 * 60
ONLY_PUBLIC = (
    "Only the public tests ran: the hidden tests are not available to this run, so the score "
    "above is provisional. Your instructor grades the hidden tests and the written answers."
)


def grading_command(submission: Path, out: Path) -> list[str]:
    """The child process that grades ``submission`` into ``out/results.json``."""
    return [sys.executable, "-m", "grader", "grade", str(submission), str(out)]


def run_grading(submission: Path, timeout: float = TIMEOUT_SECONDS) -> tuple[dict[str, Any] | None, str]:
    """Grade in a child process: (report, "") or (report or None, what went wrong)."""
    out = Path(tempfile.mkdtemp(prefix="classroom-"))
    try:
        try:
            done = subprocess.run(
                grading_command(submission, out), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
            )
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
    return int(sum(t.points for t in manifest.load() if t.kind != manifest.Kind.WRITTEN))


MESSAGE_CHARS = 4000  # per test: step outputs are limited in size, and the log shows the rest
PROBLEM_RUNNER = "autograder"


def runner_name(task_number: int) -> str:
    """The reporter's runner id for a task: letters and digits only, as its input pattern requires."""
    return f"task{task_number}"


def runner_names() -> list[str]:
    """Every runner id a workflow may be asked to report: one per automatically scored task, then
    the one that carries problems."""
    scored = [t for t in manifest.load() if t.kind != manifest.Kind.WRITTEN and t.points > 0]
    return [runner_name(t.number) for t in scored] + [PROBLEM_RUNNER]


def _test_entry(test: dict[str, Any], hint: str, score: float) -> dict[str, Any]:
    hidden = bool(test.get("hidden"))
    filename, line_no = ("", 0) if hidden else _locate(test["name"])
    message = test["message"] or ""
    if test["status"] != "passed" and hint:
        message = f"{message}\nHint: {hint}".strip()
    return {
        "name": f"{test['task']}: {test['name']}",
        "status": {"passed": "pass", "failed": "fail"}.get(test["status"], "error"),
        "score": score,
        "message": message[:MESSAGE_CHARS],
        "test_code": f"task {test['task']}",
        "filename": filename,
        "line_no": line_no,
        "duration": int(round(float(test.get("duration", 0)) * 1000)),  # milliseconds, as the reporter expects
    }


def _problem_result(problems: list[str], max_score: int) -> dict[str, Any]:
    tests = [
        {
            "name": PROBLEM_RUNNER,
            "status": "error",
            "score": 0,
            "message": problem[:MESSAGE_CHARS],
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "duration": 0,
        }
        for problem in problems
    ]
    return {"version": 1, "status": "error", "max_score": max_score, "tests": tests}


def to_runners(report: dict[str, Any] | None, error: str = "") -> dict[str, dict[str, Any]]:
    """One reporter result per task that has points here, in the task order, plus ``autograder``
    when something went wrong.

    The reporter's table gives each runner passed / total x max_score, and its notice adds up the
    tests' ``score`` values. A task scores its points times the fraction of its scored tests that
    passed, so with one runner per task and only the scored tests in it (the format checks, worth
    no points, are left out), the table shows this project's own per-task scores. The passed tests
    share their task's score; the last one takes the rounding, so that the scores add up, in the
    reporter's order of addition, to the table's total rounded to the hundredth: at full marks
    exactly the maximum.
    """
    problems = list(report.get("problems", [])) if report else []
    if error:
        problems.append(error)
    if report is None:
        return clean_tree({PROBLEM_RUNNER: _problem_result(problems or ["the grader gave no report"], _auto_points())})
    hints = {t["id"]: t["hint"] for t in report["tasks"]}
    runners: dict[str, dict[str, Any]] = {}
    table_total = 0.0
    for task in report["tasks"]:
        if task["kind"] == manifest.Kind.WRITTEN or not task["max_score"]:
            continue
        scored = [t for t in report["tests"] if t["task"] == task["id"] and t.get("scored", True)]
        max_score = int(round(task["max_score"]))
        passed = sum(t["status"] == "passed" for t in scored)
        share = (passed / len(scored)) * max_score / passed if passed else 0.0
        tests = [_test_entry(t, hints.get(t["task"], ""), share if t["status"] == "passed" else 0) for t in scored]
        if not tests:  # a task with nothing run scores nothing; the reporter needs one test to divide by
            tests = [
                {
                    "name": f"{task['id']}: no check ran",
                    "status": "fail",
                    "score": 0,
                    "message": "No check of this task ran.",
                    "test_code": f"task {task['id']}",
                    "filename": "",
                    "line_no": 0,
                    "duration": 0,
                }
            ]
        table_total += (passed / len(tests)) * max_score  # as the reporter's table computes it
        runners[runner_name(task["number"])] = {
            "version": 1,
            "status": "pass" if passed == len(tests) else "fail",
            "max_score": max_score,
            "tests": tests,
        }
    _settle(runners, round(table_total, 2))
    if problems:
        runners[PROBLEM_RUNNER] = _problem_result(problems, 0)
    return clean_tree(runners)


def _settle(runners: dict[str, dict[str, Any]], target: float) -> None:
    """Adjust the last passed test's score so the sum, added in the reporter's order, is ``target``."""
    order = [test for result in runners.values() for test in result["tests"]]
    passed = [i for i, test in enumerate(order) if test["status"] == "pass"]
    if not passed:
        return
    last = order[passed[-1]]

    def total() -> float:
        acc = 0.0
        for test in order:
            acc += test["score"]
        return acc

    before = total() - last["score"]
    last["score"] = target - before
    for _ in range(64):  # floating point: step by one unit in the last place until the sum is exact
        now = total()
        if now == target:
            break
        last["score"] = math.nextafter(last["score"], math.inf if now < target else -math.inf)
    last["score"] = max(last["score"], 0.0)


def notice_total(runners: dict[str, dict[str, Any]]) -> tuple[float, int]:
    """(points, maximum) as the reporter's notice computes them."""
    points, maximum = 0.0, 0
    for result in runners.values():
        if not result["max_score"]:
            continue
        maximum += result["max_score"]
        for test in result["tests"]:
            points += test["score"]
    return points, maximum


def js_number(value: float) -> str:
    """A number as JavaScript prints it in a template string (the reporter's notice): 100, 45.6."""
    return str(int(value)) if value == int(value) else repr(value)


def encode(result: dict[str, Any]) -> str:
    """Base64 of the JSON, as the reporter decodes it."""
    return base64.b64encode(json.dumps(result).encode("utf-8")).decode("ascii")


def write_output(runners: dict[str, dict[str, Any]]) -> None:
    """Append ``runners=task1,...`` and one ``<runner>=<base64 JSON>`` line per runner to
    $GITHUB_OUTPUT, or print them when run outside Actions."""
    lines = [f"runners={','.join(runners)}\n"] + [f"{name}={encode(result)}\n" for name, result in runners.items()]
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.writelines(lines)
    else:
        sys.stdout.writelines(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m grader classroom``."""
    parser.add_argument("--submission", default=str(ROOT), help="the repository to grade (its exercises/ folder)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds before the grading is stopped")
    parser.add_argument(
        "--missing", action="store_true", help="grade nothing: write the result that says the grading gave none"
    )
    parser.add_argument("--why", default="", help="with --missing: what failed")


def run(args: argparse.Namespace) -> int:
    """Grade the repository and write the result; exit 0 so the reporter step always runs."""
    if args.missing:
        why = args.why or "the grading step gave no result"
        write_output(
            {PROBLEM_RUNNER: _problem_result([f"No grade: {why}. See the log of the steps above."], _auto_points())}
        )
        print(f"::error title=Autograder::{_escape('No grade: ' + why)}")
        return 0
    report: dict[str, Any] | None = None
    error = ""
    try:
        report, error = run_grading(Path(args.submission).resolve(), args.timeout)
    except BaseException as crash:  # noqa: B036 -- even Ctrl-C or SystemExit must leave a result
        error = f"the autograder failed: {type(crash).__name__}: {crash}"
    finally:
        runners = to_runners(report, error)
        write_output(runners)
    _explain(report, runners)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line, also reachable as ``python -m grader.platform.classroom``."""
    parser = argparse.ArgumentParser(prog="python -m grader classroom", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _explain(report: dict[str, Any] | None, runners: dict[str, dict[str, Any]]) -> None:
    """The human-readable report in the job log, and a notice on what was graded."""
    if report is not None:
        from grader.pipeline import report as reporting

        # Learner text in the report must not act as a workflow command ("::set-output", "::add-mask"):
        # the runner ignores every command between these two lines (render also cleans the text).
        resume = secrets.token_hex(16)
        print(f"::stop-commands::{resume}")
        sys.stdout.write(reporting.render(report))  # it names the isolation learner code ran in
        print(f"::{resume}::")
    for test in runners.get(PROBLEM_RUNNER, {}).get("tests", []):
        print(f"::error title=Autograder::{_escape(test['message'][:1000])}")
    if report is not None and report.get("hidden_tests") == "included":
        print("::notice title=Autograding::Public and hidden tests ran.")
    else:
        print(f"::notice title=Autograding::{ONLY_PUBLIC}")
        print(f"\n {ONLY_PUBLIC}")


def _escape(text: str) -> str:
    """A workflow command's message keeps its line breaks only when escaped."""
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
