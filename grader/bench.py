"""``make bench``: how long grading takes, compared with the floor of importing boto3 and moto.

Every figure is the median of ``--runs`` runs (5 by default), each a fresh process as in
``make grade``; the peak memory is the most the grading process and all its workers held at
once (proportional set size, sampled every 20 ms). The isolation overhead is what the sandbox adds: the runs it makes
during a grading times the cost of one run that does nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"reference": 10.0, "stubs": 4.0}  # most times the floor each may take
ENDLESS_LOOP_SECONDS = 30.0
PEAK_RSS_BYTES = 400 * 1024 * 1024


def _tree_rss(process: psutil.Process) -> int:
    """Memory of a process and all its descendants: proportional set size, so pages forked
    children share with the worker are counted once, not once per child."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_full_info().pss
        except (psutil.Error, AttributeError):
            try:
                total += member.memory_info().rss
            except psutil.Error:
                continue
    return total


def timed(command: list[str], cwd: Path = ROOT) -> tuple[float, int]:
    """Run ``command``; return its wall time and the peak RSS of its process tree."""
    started = time.monotonic()
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, _tree_rss(process))
        except psutil.Error:
            pass
        time.sleep(0.02)
    return time.monotonic() - started, peak


def median_of(command: list[str], runs: int) -> dict[str, float]:
    """Median wall time and largest peak RSS over ``runs`` runs."""
    times, peaks = [], []
    for _ in range(runs):
        seconds, peak = timed(command)
        times.append(seconds)
        peaks.append(peak)
    return {"seconds": statistics.median(times), "peak_rss": max(peaks)}


def endless_loop_submission(base: Path) -> Path:
    """The hostile submission whose consume never returns (see tests/submissions/hostile)."""
    sys.path.insert(0, str(ROOT))
    from tests.mutants.patching import materialize
    from tests.submissions.hostile.cases import CASES

    case = next(c for c in CASES if c.id == "endless_loop")
    return materialize(base / case.id, case.patches)


def isolation_overhead(reference: Path) -> dict[str, float]:
    """Sandbox runs in one grading of the reference, and the cost of one empty run."""
    from grader import grade
    from grader.embedded_kinesis import EmbeddedKinesis
    from grader.sandbox import runner

    counted = {"runs": 0}
    original = runner.Sandbox.run_many

    def counting(self: Any, scripts: list[Any], *args: Any, **kwargs: Any) -> Any:
        counted["runs"] += len(scripts)
        return original(self, scripts, *args, **kwargs)

    runner.Sandbox.run_many = counting  # type: ignore[method-assign]
    try:
        grade.grade(reference, include_hidden=True)
    finally:
        runner.Sandbox.run_many = original  # type: ignore[method-assign]
    with EmbeddedKinesis() as server:
        box = runner.Sandbox(reference.resolve(), server.client_environment())
        empty = [{"op": "clock", "label": "the clock", "save": "v0"}]
        box.run(empty)
        started = time.monotonic()
        for _ in range(50):
            box.run(empty)
        per_run = (time.monotonic() - started) / 50
        box.cleanup()
    return {"runs": counted["runs"], "per_run": per_run, "total": counted["runs"] * per_run}


def main(argv: list[str] | None = None) -> int:
    """Measure, print a table, and exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m grader.bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference", default=str(ROOT / "solutions"))
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args(argv)
    python = sys.executable
    base = Path(tempfile.mkdtemp(prefix="bench-"))
    endless = endless_loop_submission(base)
    check = lambda folder: [python, "-m", "grader", "check", "--exercises", str(folder)]  # noqa: E731
    commands = {
        "floor (import boto3, moto)": [python, "-c", "import boto3, moto"],
        "reference": check(Path(args.reference)),
        "stubs": check(ROOT / "exercises"),
        "module_style": check(ROOT / "tests" / "submissions" / "module_style" / "exercises"),
        "endless_loop": check(endless),
        "make check": ["make", "--no-print-directory", "check"],
    }
    figures = {name: median_of(command, args.runs) for name, command in commands.items()}
    floor = figures["floor (import boto3, moto)"]["seconds"]
    overhead = isolation_overhead(Path(args.reference))
    print(f"{'what':28} {'median s':>9} {'x floor':>8} {'peak RSS MB':>12}   (median of {args.runs} runs, load {os.getloadavg()[0]:.1f})")
    for name, value in figures.items():
        print(f"{name:28} {value['seconds']:9.2f} {value['seconds'] / floor:8.1f} {value['peak_rss'] / 2**20:12.0f}")
    print(f"\nisolation: {overhead['runs']} sandbox runs in a reference grading x {overhead['per_run'] * 1000:.1f} ms "
          f"for an empty run = {overhead['total']:.1f} s of the reference's {figures['reference']['seconds']:.1f} s")
    missed = []
    for name, most in TARGETS.items():
        if figures[name]["seconds"] > most * floor:
            missed.append(f"{name} took {figures[name]['seconds'] / floor:.1f}x the floor (target {most:g}x)")
    if figures["endless_loop"]["seconds"] > ENDLESS_LOOP_SECONDS:
        missed.append(f"the endless loop took {figures['endless_loop']['seconds']:.1f} s (target {ENDLESS_LOOP_SECONDS:g} s)")
    peak = max(v["peak_rss"] for n, v in figures.items() if n != "floor (import boto3, moto)")
    if peak > PEAK_RSS_BYTES:
        missed.append(f"peak RSS {peak / 2**20:.0f} MB (target {PEAK_RSS_BYTES / 2**20:.0f} MB)")
    print("\n" + ("targets missed: " + "; ".join(missed) if missed else "all targets met"))
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": figures, "floor": floor, "isolation": overhead, "missed": missed}, indent=2))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
