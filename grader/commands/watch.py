"""``make watch``: re-check exercises/ every time a file in it is saved.

Each check runs the public tests through ``grader.pipeline.grade.grade`` in a fresh process (so
nothing the learner's code loaded stays in memory) and prints progress, the first failing
task's message, or a short "all done".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.paths import ROOT
from grader.pipeline import report as reporting

CHECK_TIMEOUT = 600.0  # seconds; a public run takes well under a minute
MESSAGE_LINES = 14  # lines of the failure message shown; `make check` shows everything
SCORED_NOW = ("passed", "partial", "failed")
_RUN_CHECK = (
    "import sys; from pathlib import Path; from grader.pipeline import grade; "
    "grade.grade(Path(sys.argv[1]), include_hidden=False, out_dir=Path(sys.argv[2]))"
)

Snapshot = dict[str, tuple[int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Modification time and size of each file the grader reads from ``folder``."""
    files: Snapshot = {}
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_file() and not entry.name.startswith("."):
                stat = entry.stat()
                files[entry.name] = (stat.st_mtime_ns, stat.st_size)
    return files


def run_check(folder: Path) -> tuple[dict[str, Any] | None, str]:
    """Grade ``folder`` with the public tests in a child process; (report, error text)."""
    with tempfile.TemporaryDirectory(prefix="watch-") as out:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _RUN_CHECK, str(folder), out],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=CHECK_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None, f"the check did not finish within {CHECK_TIMEOUT:g} s"
        results = Path(out) / "results.json"
        if not results.is_file():
            return None, (done.stderr or done.stdout)[-3000:] or f"the check ended with exit code {done.returncode}"
        return json.loads(results.read_text(encoding="utf-8")), ""


def summary(report: dict[str, Any]) -> str:
    """Progress, then the first failing task's message or the all-done line."""
    tasks = report["tasks"]
    scored = [t for t in tasks if t["status"] in SCORED_NOW]
    done = [t for t in scored if t["status"] == "passed"]
    filled = 20 * len(done) // len(scored) if scored else 20
    bar = f"[{'#' * filled}{'.' * (20 - filled)}]"
    lines = [
        (
            f"Progress: {len(done)}/{len(scored)} tasks done  {bar}  score "
            f"{reporting.number(report['score'])}/{reporting.number(report['max_score'])}"
        )
    ]
    lines += [f"! {problem}" for problem in report["problems"]]
    failing = next((t for t in tasks if t["status"] in ("failed", "partial")), None)
    if failing is not None:
        test = next((t for t in report["tests"] if t["task"] == failing["id"] and t["status"] != "passed"), None)
        lines += ["", f"Next: task {failing['number']} ({failing['id']}): {failing['title']}"]
        if test is not None:
            lines.append(f"  ✗ {test['name']}")
            message = test["message"].splitlines()
            lines += [f"    {line}" for line in message[:MESSAGE_LINES]]
            if len(message) > MESSAGE_LINES:
                lines.append("    ... (`make check` shows the whole message)")
        lines.append(f"  Hint: make hint TASK={failing['id']}")
    elif report["status"] == "pass":
        unanswered = sorted({t["task"] for t in report["tests"] if t["status"] != "passed"})
        if unanswered:
            lines += ["", f"✗ Still to answer in exercises/checkpoint.md: {', '.join(unanswered)}."]
        else:
            lines += ["", "✓ All done: every public check passes."]
        lines.append("  Hidden checks and your written answers are graded when you hand in your work.")
    return "\n".join(lines)


def check_and_show(folder: Path, clear: bool) -> dict[str, Any] | None:
    """Run one check and print what it found."""
    if clear:
        sys.stdout.write("\033[2J\033[H")
    print(f"── {time.strftime('%H:%M:%S')}  checking {_label(folder)} (public checks) ...", flush=True)
    report, error = run_check(folder)
    if report is None:
        print(f"✗ The check could not run:\n{error}")
    else:
        print(summary(report))
    return report


def _label(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(ROOT)) + "/"
    except ValueError:
        return str(folder)


def watch(folder: Path, interval: float) -> None:
    """Check now, then again after every change, until Ctrl-C."""
    clear = sys.stdout.isatty()
    seen = snapshot(folder)
    check_and_show(folder, clear)
    print(f"\nWatching {_label(folder)} for changes (Ctrl-C to stop)", flush=True)
    while True:
        time.sleep(interval)
        current = snapshot(folder)
        if current == seen:
            continue
        # Editors often write a file in several steps: wait until it stops changing.
        while True:
            time.sleep(0.3)
            settled = snapshot(folder)
            if settled == current:
                break
            current = settled
        seen = current
        check_and_show(folder, clear)
        print(f"\nWatching {_label(folder)} for changes (Ctrl-C to stop)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; with --once, check once and exit 0 only at full marks."""
    parser = argparse.ArgumentParser(prog="python -m grader.commands.watch", description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", default=str(ROOT / "exercises"), help="folder to watch (default: exercises/)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the files (default: 1)")
    parser.add_argument("--once", action="store_true", help="check once, print, and exit")
    args = parser.parse_args(argv)
    folder = Path(args.exercises)
    if args.once:
        report = check_and_show(folder, clear=False)
        return 0 if report is not None and not reporting.unfinished(report) else 1
    try:
        watch(folder, args.interval)
    except KeyboardInterrupt:
        print("\nStopped watching.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
