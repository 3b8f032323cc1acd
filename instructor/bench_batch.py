"""Time a batch: grade N copies of one submission with ``grade-all`` and print how long it took.

``python -m instructor.bench_batch [--copies 100] [--jobs N] [--source DIR]``. The default source
is a submission written the course module's way (tests/submissions/module_style), else the
reference solution.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from instructor import batch

ROOT = batch.ROOT
CANDIDATES = ("tests/submissions/module_style/exercises", "solutions")


def default_source() -> Path:
    """The module-style submission, or the reference where it is absent."""
    return next(ROOT / c for c in CANDIDATES if (ROOT / c).is_dir())


def main(argv: list[str] | None = None) -> int:
    """Make the copies, grade them all, print the timing."""
    parser = argparse.ArgumentParser(prog="python -m instructor.bench_batch", description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: the CPUs it may use)")
    parser.add_argument("--source", type=Path, default=None, help="an exercises/ folder to copy")
    args = parser.parse_args(argv)
    source = args.source or default_source()
    jobs = args.jobs or len(os.sched_getaffinity(0)) or 1
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        for number in range(args.copies):
            shutil.copytree(
                source,
                work / "submissions" / f"copy-{number:04d}" / "exercises",
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        started = time.monotonic()
        outcomes = batch.grade_all(work / "submissions", work / "out", jobs=jobs, force=True)
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    errors = sum(1 for o in outcomes if o.report is None or o.error)
    scores = sorted({o.report["score"] for o in outcomes if o.report})
    print(
        f"{args.copies} copies of {source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}, {jobs} "
        "workers: "
        f"{elapsed:.1f} s in all, {elapsed / max(args.copies, 1):.2f} s per submission, {errors} errors, scores "
        f"{scores}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
