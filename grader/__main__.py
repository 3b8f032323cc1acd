"""Command line: ``python -m grader check|grade|hint|classroom``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import clauses, manifest
from grader.paths import ROOT

PROCESSES_HELP = "grading processes working at once (default: 2 on a machine with 2 cores or more)"
LEVEL_HELP = "core or full: which clauses count (default: the setting in grader/level.toml)"


def _check(args: argparse.Namespace) -> int:
    from grader.pipeline import grade, report

    result = grade.grade(
        Path(args.exercises),
        include_hidden=not args.public_only,
        out_dir=Path(args.out) if args.out else None,
        processes=args.processes,
        level=args.level,
    )
    sys.stdout.write(f" Level: {result['level']} ({_level_words(result['level'])})\n")
    sys.stdout.write(report.render(result))
    crosses = report.unfinished(result)
    if not crosses:
        sys.stdout.write("\n All done: every check passes. Well done!\n")
        return 0
    sys.stdout.write(f"\n Not done yet: {crosses} marked ✗ or ! above.\n")
    return 1


def _grade(args: argparse.Namespace) -> int:
    from grader.pipeline import grade

    submission = Path(args.submission)
    out = Path(args.out)
    if out.resolve() == submission.resolve() or submission.resolve() in out.resolve().parents:
        print("OUT must not be inside the submission: grading never writes into it", file=sys.stderr)
        return 2
    try:
        result = grade.grade(
            submission / "exercises",
            include_hidden=not args.public_only,
            out_dir=out,
            processes=args.processes,
            level=args.level,
        )
    except OSError as error:  # no space left for its folders or its report, say: an error, never a score
        why = f"the grading failed for the grader's own reasons, and no report could be written: {error}"
        print(why, file=sys.stderr)
        return 3
    print(
        f"{submission.name}: {result['score']:g}/{result['max_score']:g} at level {result['level']} "
        f"-> {out / 'results.json'}"
    )
    sandbox = result.get("sandbox") or {}
    print(
        f"  sandbox: {sandbox.get('isolation', 'unknown')}"
        + (f"; {sandbox['hidden_tests_skipped']}" if sandbox.get("hidden_tests_skipped") else "")
    )
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    """Print the isolation learner code would get here; exit 3 where hidden tests must not be given."""
    import json

    from grader.pipeline.grade import sandbox_summary

    summary = sandbox_summary()
    print(
        json.dumps(summary, indent=2)
        if args.json
        else f"sandbox: {summary['isolation']}"
        + ("" if summary["hidden_tests_allowed"] else f"\nhidden tests would not be run: {summary['reason']}")
    )
    return 0 if summary["hidden_tests_allowed"] else 3


def _level_words(level: str) -> str:
    return "the module's lessons" if level == "core" else "core plus production hardening"


def _hint(args: argparse.Namespace) -> int:
    tasks = manifest.by_id(manifest.load(level=args.level))
    task = tasks.get(args.task) or next((t for t in tasks.values() if str(t.number) == args.task), None)
    if task is None:
        print(f"No task {args.task!r}. Tasks: " + ", ".join(tasks), file=sys.stderr)
        return 2
    print(f"Task {task.number} ({task.id}): {task.title}\n\n{task.hint}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one command."""
    parser = argparse.ArgumentParser(prog="python -m grader")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="grade exercises/ and print the report")
    check.add_argument("--exercises", default=str(ROOT / "exercises"))
    check.add_argument("--out", default="")
    check.add_argument("--public-only", action="store_true")
    check.add_argument("--processes", type=int, default=None, help=PROCESSES_HELP)
    check.add_argument("--level", choices=clauses.LEVELS, default=None, help=LEVEL_HELP)
    check.set_defaults(func=_check)
    grade = commands.add_parser("grade", help="grade a submission folder into OUT/results.json")
    grade.add_argument("submission")
    grade.add_argument("out")
    grade.add_argument("--public-only", action="store_true")
    grade.add_argument("--processes", type=int, default=None, help=PROCESSES_HELP)
    grade.add_argument("--level", choices=clauses.LEVELS, default=None, help=LEVEL_HELP)
    grade.set_defaults(func=_grade)
    sandbox = commands.add_parser(
        "sandbox", help="print the isolation learner code gets here; exit 3 if hidden tests would not run"
    )
    sandbox.add_argument("--json", action="store_true")
    sandbox.set_defaults(func=_sandbox)
    hint = commands.add_parser("hint", help="print a task's hint")
    hint.add_argument("task")
    hint.add_argument("--level", choices=clauses.LEVELS, default=None, help=LEVEL_HELP)
    hint.set_defaults(func=_hint)
    from grader.platform import classroom as classroom_platform

    classroom = commands.add_parser("classroom", help="GitHub Classroom: grade once, write `result` to $GITHUB_OUTPUT")
    classroom_platform.add_arguments(classroom)
    classroom.set_defaults(func=classroom_platform.run)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
