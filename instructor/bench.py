"""``make bench``: how long grading takes, compared with the floor of importing boto3 and moto.

Every time is the median of ``--runs`` runs (5 by default), each a fresh process as in
``make grade``; the peak memory, measured in one more run, is the most the grading process and
all its workers held at once (proportional set size, sampled every 20 ms). The isolation overhead compares grading the
reference in one process with the same tests run as plain pytest, learner code inside the
grading process; the other figures use the default two grading processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from grader import clauses
from grader.paths import ROOT

TARGETS = {"reference (full)": 10.0, "stubs": 4.0}  # most times the floor each may take
# The core level (the default) on the 2-core machine: the reference in at most this wall time and CPU time.
CORE_REFERENCE = {"seconds": 2.5, "cpu_seconds": 4.0}
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


def timed(command: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Run ``command``; return its wall time and the CPU seconds (user + system) of its process
    tree, which is what batch grading pays."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peak_memory(command: list[str], cwd: Path = ROOT) -> int:
    """Run ``command`` once more, sampling the memory of its process tree every 20 ms.

    Sampling reads every process's memory map, which costs CPU the command would otherwise
    have on a 2-core machine, so this run is not one of the timed ones.
    """
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, _tree_rss(process))
        except psutil.Error:
            pass
        time.sleep(0.02)
    return peak


def median_of(command: list[str], runs: int) -> dict[str, float]:
    """Median wall and CPU time over ``runs`` runs, and the peak memory of one more run."""
    times = [timed(command) for _ in range(runs)]
    return {
        "seconds": statistics.median(wall for wall, _ in times),
        "cpu_seconds": statistics.median(cpu for _, cpu in times),
        "peak_rss": peak_memory(command),
    }


def endless_loop_submission(base: Path) -> Path:
    """The hostile submission whose consume never returns (see tests/submissions/hostile)."""
    sys.path.insert(0, str(ROOT))
    from tests.mutants.patching import materialize
    from tests.submissions.hostile.cases import CASES

    case = next(c for c in CASES if c.id == "endless_loop")
    return materialize(base / case.id, case.patches)


class PlainRunner:
    """Runs scripts in the grading process itself, one after another: what the same tests
    cost as plain pytest, with no worker, no fork and no limits. For the benchmark only:
    learner code here could end or patch the grader. It keeps the simulated clock, so the
    learner's sleeps cost no real time in either case and the two timings compare."""

    kinesis_socket = None  # learner code reaches the embedded Kinesis on its TCP port

    def __init__(self, exercises: Path, env: dict[str, str] | None = None, limits: Any = None, token: str = "") -> None:
        self.exercises = exercises.resolve()
        self.hung: set[str] = set()
        self.server_verdict: Any = lambda timed_out=False: ""

    def start(self) -> None:
        """Nothing to start."""

    def provide_environment(self, env: dict[str, str]) -> None:
        os.environ.update(env)

    def cleanup(self) -> None:
        """Nothing to stop."""

    def run(self, steps: list[dict[str, Any]], **budgets: Any) -> Any:
        return self.run_many([steps], **budgets)[0]

    def run_many(
        self, scripts: list[list[dict[str, Any]]], wall_seconds: float | None = None, **budgets: Any
    ) -> list[Any]:
        return [self._run_one(steps) for steps in scripts]

    def _run_one(self, steps: list[dict[str, Any]]) -> Any:
        import contextlib
        import datetime
        import io

        from botocore.httpsession import URLLib3Session

        from grader.sandbox import steps as steps_module
        from grader.sandbox import virtual_time
        from grader.sandbox.runner import RunResult

        for name in [
            n for n, m in sys.modules.items() if str(getattr(m, "__file__", "") or "").startswith(str(self.exercises))
        ]:
            del sys.modules[name]  # a fresh import per run, as in a fresh worker child
        clocks = {
            name: getattr(time, name)
            for name in ("sleep", "time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "perf_counter_ns")
        }
        saved_datetime, saved_send = datetime.datetime, URLLib3Session.send
        clock = virtual_time.VirtualClock(epoch=time.time(), on_budget=lambda reason: None)
        virtual_time.install(clock)
        virtual_time.count_http_calls(clock)
        sys.path.insert(0, str(self.exercises))
        try:
            executor = steps_module.Executor(self.exercises, lambda message: None, set())
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                outcomes = executor.run(steps, clock.read)
            return RunResult("done", outcomes)
        finally:
            sys.path.remove(str(self.exercises))
            for name, function in clocks.items():
                setattr(time, name, function)
            datetime.datetime, URLLib3Session.send = saved_datetime, saved_send


def _bare_sandbox() -> type:
    """The sandbox's worker and forks without its isolation (no Landlock, uid or namespaces):
    for the benchmark only, to price the isolation itself."""
    from grader.sandbox.runner import Sandbox

    class Bare(Sandbox):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.plan = {"learner": str(self.learner)}

    return Bare


def run_cost(reference: Path, runs: int = 40, rounds: int = 3) -> dict[str, float]:
    """Median seconds a worker takes to start (namespaces, warm-up, first run) and of one run
    (import the producer, read the clock), with the isolation and without, in alternation."""
    from grader.kinesis.server import EmbeddedKinesis
    from grader.pipeline.grade import copy_exercises
    from grader.sandbox.runner import Sandbox

    times: dict[str, list[float]] = {}
    script = [{"op": "import", "module": "enhanced_producer", "key": "import enhanced_producer"}, {"op": "clock"}]
    with EmbeddedKinesis() as kinesis:
        for _ in range(rounds):
            for name, kind in (("bare", _bare_sandbox()), ("isolated", Sandbox)):
                folder = Path(tempfile.mkdtemp(prefix="bench-runs-"))
                box = kind(copy_exercises(reference, folder / "exercises"))
                try:
                    started = time.monotonic()
                    box.start()
                    if box.kinesis_socket and box.plan.get("network"):  # the worker's bridge reaches the server there
                        kinesis.listen_unix(str(box.kinesis_socket))
                    box.provide_environment(kinesis.client_environment())
                    if box.run(script).status != "done":
                        raise SystemExit(f"a {name} run failed: the comparison is void")
                    times.setdefault(f"{name}_start_seconds", []).append(time.monotonic() - started)
                    for _ in range(max(runs // rounds, 1)):
                        started = time.monotonic()
                        box.run(script)
                        times.setdefault(f"{name}_run_seconds", []).append(time.monotonic() - started)
                finally:
                    box.cleanup()
                    shutil.rmtree(folder, ignore_errors=True)
    return {key: statistics.median(values) for key, values in times.items()}


def grade_once(reference: Path, isolated: bool | str) -> float:
    """Grade ``reference`` in one process, learner code in the sandbox or (``isolated`` False)
    in the grading process itself; return the seconds taken."""
    from grader.pipeline import grade

    started = time.monotonic()
    if isolated == "bare":
        grade.Sandbox = _bare_sandbox()  # type: ignore[misc]
    elif not isolated:
        grade.Sandbox = PlainRunner  # type: ignore[misc,assignment]
    report = grade.grade(reference, include_hidden=True, processes=1)
    elapsed = time.monotonic() - started
    if report["score"] != report["max_score"]:
        raise SystemExit(f"the reference scored {report['score']}: the comparison is void")
    return elapsed


def isolation_overhead(reference: Path, runs: int) -> dict[str, float]:
    """Median seconds of a one-process reference grading as plain pytest (learner code in the
    grading process) and with the sandbox, each run in a fresh process."""
    times: dict[str, list[float]] = {}
    for _ in range(runs):  # the modes in turn, so that a change of the machine's load meets them all
        for mode in ("plain", "bare", "isolated"):
            command = [sys.executable, "-m", "instructor.bench", "--once", mode, str(reference)]
            started = time.monotonic()
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            times.setdefault(f"{mode}_seconds", []).append(time.monotonic() - started)
    return {key: statistics.median(values) for key, values in times.items()}


def _print_isolation(overhead: dict[str, float], reference: Path) -> None:
    """Print what isolation costs: per grading, per run and per worker start."""
    plain, isolated = overhead["plain_seconds"], overhead["isolated_seconds"]
    print(
        f"\nisolation, the reference graded in one process: as plain pytest (learner code in the grading process) "
        f"{plain:.2f} s; with the sandbox {isolated:.2f} s; overhead {isolated - plain:.2f} s "
        f"({(isolated - plain) / plain:+.0%})"
    )
    bare = overhead["bare_seconds"]
    runs = run_cost(reference)
    overhead.update(runs)
    from grader.sandbox.isolation import isolation

    print(
        f"isolation itself ({isolation()['isolation']}): per grading {isolated - bare:+.2f} s "
        f"({(isolated - bare) / bare:+.0%}; without it {bare:.2f} s); per run "
        f"{1000 * runs['isolated_run_seconds']:.1f} ms "
        f"vs {1000 * runs['bare_run_seconds']:.1f} ms; worker start {runs['isolated_start_seconds']:.2f} s "
        f"vs {runs['bare_start_seconds']:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Measure, print a table, and exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m instructor.bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference", default=str(ROOT / "solutions"))
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--once", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)  # one timed grading
    args = parser.parse_args(argv)
    if args.once:
        mode = args.once[0]
        print(f"{grade_once(Path(args.once[1]), isolated='bare' if mode == 'bare' else mode == 'isolated'):.2f}")
        return 0
    python = sys.executable
    base = Path(tempfile.mkdtemp(prefix="bench-"))
    endless = endless_loop_submission(base)
    check = lambda folder, *more: [python, "-m", "grader", "check", "--exercises", str(folder), *more]  # noqa: E731
    module_style = ROOT / "tests" / "submissions" / "module_style" / "exercises"
    commands = {"floor (import boto3, moto)": [python, "-c", "import boto3, moto"]}
    for level in clauses.LEVELS:
        commands[f"reference ({level})"] = check(Path(args.reference), "--level", level)
        # What a batch (make grade-all) pays per submission: one grading process.
        commands[f"reference ({level}, batch)"] = check(Path(args.reference), "--level", level, "--processes", "1")
        commands[f"module_style ({level})"] = check(module_style, "--level", level)
    commands.update(
        {
            "stubs": check(ROOT / "exercises"),
            "endless_loop": check(endless),
            "make check": ["make", "--no-print-directory", "check"],
        }
    )
    figures = {name: median_of(command, args.runs) for name, command in commands.items()}
    floor = figures["floor (import boto3, moto)"]["seconds"]
    print(
        f"{'what':32} {'median s':>9} {'x floor':>8} {'CPU s':>7} {'peak RSS MB':>12}   "
        f"(median of {args.runs} runs, load "
        f"{os.getloadavg()[0]:.1f})"
    )
    for name, value in figures.items():
        print(
            f"{name:32} {value['seconds']:9.2f} {value['seconds'] / floor:8.1f} {value['cpu_seconds']:7.2f} "
            f"{value['peak_rss'] / 2**20:12.0f}"
        )
    try:
        overhead = isolation_overhead(Path(args.reference), args.runs)
    except subprocess.CalledProcessError as error:  # one mode failed: say so, keep the figures above
        overhead = {}
        print(f"\nisolation comparison not measured: {' '.join(error.cmd[-3:])} failed (exit {error.returncode})")
    if overhead:
        _print_isolation(overhead, Path(args.reference))
    # A separate figure: the class report's own time and page size, for a class of 100.
    from instructor import class_bench

    class_figure = class_bench.class_report_figure()
    class_line, missed = class_bench.describe(class_figure)
    print(class_line)
    for name, most in TARGETS.items():
        if figures[name]["seconds"] > most * floor:
            missed.append(f"{name} took {figures[name]['seconds'] / floor:.1f}x the floor (target {most:g}x)")
    for measure, most in CORE_REFERENCE.items():
        if figures["reference (core)"][measure] > most:
            missed.append(
                f"the reference at core took {figures['reference (core)'][measure]:.2f} {measure} (target {most:g})"
            )
    if figures["endless_loop"]["seconds"] > ENDLESS_LOOP_SECONDS:
        missed.append(
            f"the endless loop took {figures['endless_loop']['seconds']:.1f} s (target {ENDLESS_LOOP_SECONDS:g} s)"
        )
    peak = max(v["peak_rss"] for n, v in figures.items() if n != "floor (import boto3, moto)")
    if peak > PEAK_RSS_BYTES:
        missed.append(f"peak RSS {peak / 2**20:.0f} MB (target {PEAK_RSS_BYTES / 2**20:.0f} MB)")
    print("\n" + ("targets missed: " + "; ".join(missed) if missed else "all targets met"))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"figures": figures, "floor": floor, "isolation": overhead, "missed": missed}
                | {"class_report": class_figure},
                indent=2,
            )
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
