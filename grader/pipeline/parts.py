"""The parts of one grading: which tests each runs, and running a part in a fork of the grader.

Each part runs every test file but only its side's tasks: the consumer's, or all others.
A learner method then belongs to one part only, so one that hangs costs one timeout.
The first part runs in the grading process; every other one in a fork of it, which sends
its results back as JSON over a pipe only the two grading processes hold.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import secrets
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from grader.pipeline import pinning
from grader.pipeline.collect import TestResult
from grader.sandbox import reaping
from grader.sandbox.runner import Sandbox

# The consumer's tests take longest, so they run in the grading process, whose worker starts
# first; the fork's worker starts only after the fork, so the fork takes the shorter side.
SIDES = ("consumer", "others")
PART_SECONDS = 20 * 60  # a part that takes longer is stopped; a hostile grading takes well under a minute

PartResults = tuple[list[TestResult], list[str]]  # a part's results and problems
# Runs one part's tests in the calling process: ``run_part(side=..., token=...)`` or
# ``run_part(side=..., sandbox=...)`` with a worker already started.
RunPart = Callable[..., PartResults]


def split_tests(processes: int) -> list[str]:
    """The sides to run at the same time, or everything in one part."""
    return list(SIDES) if processes >= 2 else [""]


def task_filter(side: str) -> Callable[[str], bool] | None:
    """Whether a task's tests belong to the part ``side``; None for side "" (every task)."""
    if not side:
        return None
    return lambda task: task.startswith("consumer.") == (side == "consumer")


def run_parts(exercises: Path, parts: list[str], run_part: RunPart) -> PartResults:
    """Run the parts at the same time: the first in this process, each other one in a fork of it.

    The fork is made once pytest, hypothesis and moto are imported, so the second part
    starts warm instead of paying for a new interpreter. Each part has its own embedded
    Kinesis and worker. A fork dies with this process; what it leaves when it dies or is
    stopped is reparented here and stopped when the grading ends (``reaping.nothing_left_running``).
    """
    tokens = [secrets.token_hex(16) for _ in parts]
    first = Sandbox(exercises, token=tokens[0])
    first.start()  # loads boto3 while the imports below run
    prepare_process()
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    grader = os.getpid()
    cpus = pinning.cpus_for(len(parts))  # a CPU per part, or None
    own_cpus = os.sched_getaffinity(0) if cpus else set()
    for index in range(1, len(parts)):
        read_end, write_end = os.pipe()  # the part's results: a channel only the two grading processes hold
        pid = os.fork()
        if pid == 0:
            if cpus:  # before its worker starts: the worker and its runs inherit it
                pinning.pin_threads(os.getpid(), cpus[index])
            reaping.die_with_parent(grader)
            first.let_go()  # the first part's worker ends when the first part closes its input
            os.close(read_end)
            _forked_part(run_part, parts[index], tokens[index], write_end)
        os.close(write_end)
        children.append((index, pid, _PipeReader(read_end)))
    if cpus:  # this process, its threads and its worker (started before the fork)
        pinning.pin_tree(grader, cpus[0], skip=frozenset(pid for _, pid, _ in children))
    finished = False
    try:
        results, problems = run_part(side=parts[0], sandbox=first)
        finished = True
    finally:
        first.cleanup()  # done already, unless this part failed before its tests started
        # A grading that failed or was interrupted here stops its other parts at once.
        deadline = time.monotonic() + (PART_SECONDS if finished else 0)
        codes = {index: _wait_or_kill(pid, deadline) for index, pid, _ in children}
        if cpus:  # a process that grades again (a batch, a self-test) has all its CPUs again
            pinning.pin_threads(grader, own_cpus)
    for index, _pid, reader in children:
        part_results, part_problems = _read_part(reader.result(), codes[index], index)
        results.extend(part_results)
        problems.extend(part_problems)
    results.sort(key=lambda result: result.position)  # the order of a one-process run
    return results, problems


_FROZEN: list[bool] = []  # whether this process has frozen its imports yet (``prepare_process``)


def prepare_process() -> None:
    """Import what every part needs (in the parent, so a fork has it already), then take it
    out of the garbage collector's sight.

    What the imports made lives as long as the process: ``gc.freeze`` spares each collection
    of the grading walking it (about 0.2 CPU-s of a core grading), and spares a forked part
    copy-on-write copies of every page such a walk would touch.
    """
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401

    import grader.harness.consumer_checks  # noqa: F401
    import grader.harness.fixtures  # noqa: F401
    import grader.harness.producer_checks  # noqa: F401
    from grader.kinesis import server

    server.preload()
    if not _FROZEN:  # once per process: a later grading's own objects stay collectable
        server.warm_up()
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)


class _PipeReader:
    """Reads a forked part's results from its pipe while this process grades its own part."""

    MAX_BYTES = 64 * 1024 * 1024

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        size = 0
        try:
            while size < self.MAX_BYTES:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                self.chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(self.fd)

    def result(self) -> bytes:
        self.thread.join(timeout=10)
        return b"".join(self.chunks)


def _forked_part(run_part: RunPart, side: str, token: str, out: int) -> None:
    """Body of a forked part: run its tests, write the results as JSON to the pipe ``out``, never return."""
    code = 70
    try:
        try:
            results, problems = run_part(side=side, token=token)
            data = {"results": [dataclasses.asdict(r) for r in results], "problems": problems}
        except BaseException:  # noqa: BLE001 - reported by the parent from the exit code
            data = {"error": traceback.format_exc()[-2000:]}
        payload = json.dumps(data, ensure_ascii=True).encode("ascii")
        view = memoryview(payload)
        while view:
            view = view[os.write(out, view) :]
        code = 0 if "results" in data else 71
    finally:
        os._exit(code)  # never run the parent's exit handlers or pytest's finalizers here


def _wait_or_kill(pid: int, deadline: float) -> int | None:
    """Wait for a forked part until ``deadline``, then kill it; its exit code (None if killed)."""
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return None
        time.sleep(0.02)


def _read_part(raw: bytes, code: int | None, index: int) -> PartResults:
    """A part's results and problems, or a problem saying why there are none.

    Results count only when the part's process ended with exit code 0 and sent a whole JSON
    document over its pipe.
    """
    why = f"it was stopped after {PART_SECONDS} s" if code is None else f"exit code {code}"
    try:
        data = json.loads(raw.decode("ascii"))
        if code == 0 and isinstance(data, dict) and "results" in data:
            return [TestResult(**r) for r in data["results"]], [str(p) for p in data["problems"]]
        tail = str(data.get("error", "")).strip().splitlines()[-1:] if isinstance(data, dict) else []
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        tail = []
    return [], [f"part {index + 1} of the grading ended without results ({why}){': ' + tail[0] if tail else ''}"]
