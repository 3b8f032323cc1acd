"""The child processes of ``make run`` and the experiments: start one job, relay its output, end it.

Every child's stdout and stderr come through this process, so that each output is noted by
the step's ``Heartbeat`` (a step that shows nothing gets a line saying what it is doing)
and its ``RESULT`` line is read. stdout is relayed line by line; stderr as it comes, so the
producer's progress bar can redraw itself in place on a terminal.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import IO, Any

from grader.commands.heartbeat import Heartbeat
from grader.commands.jobs import RESULT_PREFIX, TODO_EXIT_CODE, launcher
from grader.commands.progress import LIVE_PROGRESS_VARIABLE


@dataclass
class JobResult:
    """How one child process ended."""

    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def todo(self) -> bool:
        """Whether it stopped on a stub that is still a TODO."""
        return self.returncode == TODO_EXIT_CODE


def run_job(
    folder: Any,
    job: str,
    args: dict[str, Any],
    env: dict[str, str],
    *,
    timeout: float,
    echo: bool = False,
    heartbeat: Heartbeat | None = None,
) -> JobResult:
    """Run one ``grader.commands.jobs`` job in a child process; kill its group after ``timeout``.

    The child's output is always kept (its RESULT line is read from it); with ``echo`` it is
    also shown as it comes, RESULT line left out, and each piece shown is told to ``heartbeat``.
    """
    command = [sys.executable, "-c", launcher(), str(folder), job, json.dumps(args)]
    if echo and sys.stderr.isatty():
        env = {**env, LIVE_PROGRESS_VARIABLE: "1"}  # our stderr is a terminal: the child's bar may redraw
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    out: list[str] = []
    err: list[str] = []
    pumps = [
        threading.Thread(target=_pump_lines, args=(process.stdout, out, echo, heartbeat), daemon=True),
        threading.Thread(target=_pump_chunks, args=(process.stderr, err, echo, heartbeat), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
    except KeyboardInterrupt:
        _kill_group(process)
        raise
    for pump in pumps:
        pump.join(timeout=5)
    result = JobResult(process.returncode, "".join(out), "".join(err), timed_out)
    for line in out:
        if line.startswith(RESULT_PREFIX):
            result.result = json.loads(line[len(RESULT_PREFIX) :])
    return result


def _pump_lines(source: IO[str], lines: list[str], echo: bool, heartbeat: Heartbeat | None) -> None:
    """Collect a child's stdout line by line, showing it at once when asked."""
    for line in iter(source.readline, ""):
        lines.append(line)
        if echo and not line.startswith(RESULT_PREFIX):
            sys.stdout.write(line)
            sys.stdout.flush()
            if heartbeat is not None:
                heartbeat.output(line)


def _pump_chunks(source: IO[str], chunks: list[str], echo: bool, heartbeat: Heartbeat | None) -> None:
    """Collect a child's stderr as it comes (a progress bar redraws without a newline)."""
    descriptor = source.fileno()  # read below the text layer: it would wait for a newline
    decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may straddle two reads
    while data := os.read(descriptor, 65536):
        text = decoder.decode(data)
        chunks.append(text)
        if echo:
            sys.stderr.write(text)
            sys.stderr.flush()
            if heartbeat is not None:
                heartbeat.output(text)


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the child and anything it started (it leads its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def learner_output(result: JobResult) -> str:
    """What a child printed on stdout, without the RESULT line."""
    return "".join(line for line in result.stdout.splitlines(keepends=True) if not line.startswith(RESULT_PREFIX))
