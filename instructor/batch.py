"""Grade a folder of submissions in parallel into a gradebook, and import manual points.

``python -m instructor.batch grade-all SUBMISSIONS OUT [--jobs N] [--force]`` grades every
subfolder of SUBMISSIONS, each in its own ``python -m grader grade`` process, and writes
``OUT/gradebook.csv`` plus ``OUT/<name>/results.json`` and ``OUT/<name>/feedback.md``. A
submission whose exercises/ (and the grader) did not change since the last run is skipped.

``python -m instructor.batch import-manual MANUAL OUT`` adds hand-given points to the gradebook.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from grader import clauses, manifest
from grader.commands.progress import bar
from grader.paths import ROOT
from grader.pipeline import pinning
from grader.text_safety import one_line
from instructor import apply_policy, class_report, deadline, gradebook, late_policy

HASH_FILE = ".source.sha256"
TIMEOUT_SECONDS = 15 * 60
# What the verdict depends on besides the submission: a changed test or manifest re-grades everyone.
GRADER_INPUTS = ("grader", "tests/public")


@dataclass
class Outcome:
    """What happened to one submission in this run."""

    name: str
    report: dict[str, Any] | None
    error: str
    skipped: bool = False
    seconds: float = 0.0


def _hash_files(digest: Any, folder: Path, base: Path) -> None:
    """Add the names and bytes of the regular files beneath ``folder`` to ``digest``.

    Links are never followed: a linked ``folder`` (a submission's ``exercises/`` pointing
    elsewhere) or a link, device or pipe inside it adds its name only, never what it points at.
    Files are opened without following a link and read in blocks, so a link swapped in
    meanwhile or a huge file cannot make the instructor's process read elsewhere or run out
    of memory."""
    if folder.is_symlink() or not folder.is_dir():
        digest.update(b"not a folder\0" if folder.is_symlink() else b"")
        return
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files + [d for d in dirs if (Path(root) / d).is_symlink()]):
            path = Path(root) / name
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            _hash_regular_file(digest, path)
            digest.update(b"\0")


def _hash_regular_file(digest: Any, path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        digest.update(b"not a regular file")  # a link (ELOOP) or unreadable
        return
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            digest.update(b"not a regular file")
            return
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def grader_fingerprint() -> str:
    """A hash of the grader and its tests."""
    digest = hashlib.sha256()
    for folder in GRADER_INPUTS:
        _hash_files(digest, ROOT / folder, ROOT)
    return digest.hexdigest()


def content_hash(submission: Path, fingerprint: str) -> str:
    """A hash of the submission's exercises/ files (names and bytes) and of the grader."""
    digest = hashlib.sha256(fingerprint.encode())
    _hash_files(digest, submission / "exercises", submission)
    return digest.hexdigest()


def is_error(report: dict[str, Any] | None, error: str) -> bool:
    """Whether a grading gave no grade: no report, an error running it, or a report whose own
    status is "error" (the grader's machinery failed). Such a grading is never stamped as
    final, so the next grade-all grades it again."""
    return report is None or bool(error) or report.get("status") == "error"


def grading_command(submission: Path, out: Path) -> list[str]:
    """The process that grades one submission into ``out/results.json``."""
    return [sys.executable, "-m", "grader", "grade", str(submission), str(out), "--processes", "1"]


def grade_one(
    submission: Path, out: Path, timeout: float, level: str | None = None
) -> tuple[dict[str, Any] | None, str]:
    """Grade one submission in its own process; (report, error)."""
    results = out / "results.json"
    results.unlink(missing_ok=True)  # never mistake last run's report for this one's
    try:
        # One process per grading: the batch already grades one submission per core.
        done = subprocess.run(
            [*grading_command(submission, out), *(["--level", level] if level else [])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        error = (
            ""
            if done.returncode == 0
            else f"grader exit code {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
        )
    except subprocess.TimeoutExpired:
        error = f"grading took longer than {timeout:g} s and was stopped"
    try:
        return json.loads(results.read_text(encoding="utf-8")), error
    except (OSError, ValueError):
        return None, error or "the grader wrote no results.json"


def _grader(level: str | None) -> Any:
    """``grade_one``, at ``level`` when one was asked for (else the grader reads the setting itself)."""
    return grade_one if level is None else functools.partial(grade_one, level=level)


class Progress:
    """A plain-text progress bar with ETA; one line per submission when not on a terminal."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = self.graded = 0
        self.started = time.monotonic()
        self.live = stream.isatty()

    def update(self, outcome: Outcome) -> None:
        """Count one finished submission and redraw."""
        self.done += 1
        self.graded += 0 if outcome.skipped else 1
        elapsed = time.monotonic() - self.started
        remaining = self.total - self.done
        eta = elapsed / self.graded * remaining if self.graded else 0.0
        drawn = bar(self.done, self.total, self.width)
        state = "skipped (unchanged)" if outcome.skipped else (outcome.report or {}).get("status", "error")
        name, state = one_line(outcome.name, 80), one_line(state, 40)  # a folder may be named anything
        text = f"[{drawn}] {self.done}/{self.total} elapsed {_clock(elapsed)} ETA {_clock(eta)}  {name}: {state}"
        if self.live:
            self.stream.write("\r\x1b[K" + text + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def grade_all(
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    force: bool = False,
    timeout: float = TIMEOUT_SECONDS,
    stream: TextIO = sys.stderr,
    cutoff: deadline.Cutoff | None = None,
    level: str | None = None,
) -> list[Outcome]:
    """Grade every subfolder of ``submissions`` into ``out`` at ``level`` (the setting when None); return one
    outcome per submission. With a ``cutoff``, each at the commit its deadline and late policy choose."""
    override, level = level, clauses.level_or_setting(level)
    folders = sorted(
        p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".") and p.resolve() != out.resolve()
    )
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = grader_fingerprint() + ":" + level  # another level grades everyone again
    progress = Progress(len(folders), stream)
    outcomes: dict[str, Outcome] = {}

    def work(folder: Path) -> Outcome:
        started = time.monotonic()
        target = out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        if cutoff is not None:  # the commit the deadline allows, not the folder as it is now
            report, error, skipped = deadline.grade_at_cutoff(
                folder, target, cutoff, fingerprint, _grader(override), timeout, force
            )
            (target / "feedback.md").write_text(gradebook.feedback(folder.name, report, error), encoding="utf-8")
            return Outcome(folder.name, report, error, skipped=skipped, seconds=time.monotonic() - started)
        (target / deadline.HISTORY).unlink(missing_ok=True)  # graded as it is now, not at a deadline
        try:
            digest = content_hash(folder, fingerprint)
        except OSError as error:  # an unreadable file: graded anyway, never skipped
            digest = f"unreadable: {error}"
        if not (folder / "exercises").is_dir():
            error = "no exercises/ folder in this submission: nothing to grade"
            (target / "feedback.md").write_text(gradebook.feedback(folder.name, None, error), encoding="utf-8")
            return Outcome(folder.name, None, error, seconds=time.monotonic() - started)
        stamp = target / HASH_FILE
        previous = _load(target / "results.json")
        if not force and not is_error(previous, "") and stamp.is_file() and stamp.read_text() == digest:
            return Outcome(folder.name, previous, "", skipped=True)
        stamp.unlink(missing_ok=True)  # a grading stopped midway is never taken as final
        report, error = grade_one(folder, target, timeout, override)
        (target / "feedback.md").write_text(gradebook.feedback(folder.name, report, error), encoding="utf-8")
        if not is_error(report, error):
            stamp.write_text(digest)  # final: skipped next time while nothing changes
        return Outcome(folder.name, report, error, seconds=time.monotonic() - started)

    workers = max(1, jobs or len(os.sched_getaffinity(0)) or 1)
    with ThreadPoolExecutor(max_workers=workers, initializer=_slot_pinning(workers)) as pool:
        futures = {pool.submit(work, folder): folder for folder in folders}
        for future in as_completed(futures):
            folder = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # one bad submission never stops the batch
                outcome = Outcome(folder.name, None, f"{type(error).__name__}: {error}")
            outcomes[folder.name] = outcome
            progress.update(outcome)
    ordered = [outcomes[f.name] for f in folders]
    write_gradebook(out, ordered)
    if cutoff is not None:
        apply_policy.add_columns(out, cutoff.policy)
    return ordered


def _slot_pinning(workers: int) -> Callable[[], None] | None:
    """Where there is one CPU for each grading at once, keep each pool thread, and so the
    grading it starts, on a CPU of its own (``grader.pipeline.pinning``); else None."""
    cpus = pinning.cpus_for(workers)
    if cpus is None:
        return None
    slots = itertools.count()  # each pool thread runs this once, when it starts

    def pin() -> None:
        pinning.pin_this_thread(cpus[next(slots) % len(cpus)])

    return pin


def write_gradebook(out: Path, outcomes: list[Outcome]) -> Path:
    """Write OUT/gradebook.csv, keeping manual points imported earlier."""
    tasks = manifest.load()
    path = out / gradebook.GRADEBOOK
    rows = [gradebook.row(o.name, o.report, o.error, tasks) for o in outcomes]
    header = gradebook.columns(tasks)
    if path.is_file():
        kept = gradebook.manual_points_of(gradebook.read_csv(path)[1], tasks)
        if kept:
            header, _ = gradebook.apply_manual(header, rows, kept, tasks)
    gradebook.write_csv(path, header, rows)
    return path


def _cutoff(when: str | None, extensions: Path | None, policy: Path | None) -> deadline.Cutoff | None:
    """The deadline options read and checked before anything is graded."""
    if when is None:
        if extensions or policy:
            raise deadline.DeadlineError("EXTENSIONS and POLICY need a DEADLINE")
        return None
    moment = deadline.parse_time(when)
    moved = deadline.load_extensions(extensions, moment) if extensions else {}
    return deadline.Cutoff(moment, moved, late_policy.load(policy) if policy else late_policy.Policy())


def main(argv: list[str] | None = None) -> int:
    """Command line: ``grade-all`` or ``import-manual``."""
    parser = argparse.ArgumentParser(prog="python -m instructor.batch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade-all", help="grade every subfolder of SUBMISSIONS into OUT")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("out", type=Path)
    grade.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: the CPUs it may use)")
    grade.add_argument("--force", action="store_true", help="grade again even unchanged submissions")
    grade.add_argument("--level", choices=clauses.LEVELS, default=None, help="core or full (default: the setting)")
    grade.add_argument("--deadline", help="ISO time with zone: grade each repository's last commit before it")
    grade.add_argument("--extensions", type=Path, help="CSV submission,deadline: one learner's own deadline")
    grade.add_argument("--policy", type=Path, help="late policy (TOML): penalty, grace, floor, last or best")
    grade.add_argument("--no-similarity", action="store_true", help="leave out the similarity check")
    grade.add_argument("--anonymise", action="store_true", help="pseudonyms instead of names in the class report")
    manual = commands.add_parser("import-manual", help="add manual points (csv: submission, task, points)")
    manual.add_argument("manual", type=Path)
    manual.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "import-manual":
        try:
            warnings = gradebook.import_manual(args.manual, args.out / gradebook.GRADEBOOK, manifest.load())
        except (gradebook.GradebookError, OSError) as error:
            print(f"import refused: {error}", file=sys.stderr)
            return 1
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"manual points imported into {args.out / gradebook.GRADEBOOK}")
        return 0
    if not args.submissions.is_dir():
        print(f"{args.submissions}: not a folder", file=sys.stderr)
        return 2
    try:
        cutoff = _cutoff(args.deadline, args.extensions, args.policy)
    except (deadline.DeadlineError, late_policy.PolicyError, OSError) as error:
        print(f"grade-all refused: {error}", file=sys.stderr)
        return 2
    outcomes = grade_all(args.submissions, args.out, args.jobs, args.force, cutoff=cutoff, level=args.level)
    graded = [o for o in outcomes if not o.skipped]
    missing = [o for o in outcomes if o.report is None and o.error.startswith(deadline.NOT_SUBMITTED)]
    failed = [o for o in outcomes if is_error(o.report, o.error) and o not in missing]
    print(
        f"{len(outcomes)} submissions: {len(graded)} graded, {len(outcomes) - len(graded)} unchanged and skipped, "
        f"{len(failed)} with errors{f', {len(missing)} not submitted' if missing else ''} "
        f"-> {args.out / gradebook.GRADEBOOK}"
    )
    for outcome in failed:  # graded again by the next grade-all
        why = outcome.error or "; ".join((outcome.report or {}).get("problems", [])) or "no report"
        print(f"  error, not final: {one_line(outcome.name, 80)}: {one_line(why, 300)}")
    class_report.after_batch(args.out, args.submissions, not args.no_similarity, args.anonymise)
    return 0


if __name__ == "__main__":
    sys.exit(main())
