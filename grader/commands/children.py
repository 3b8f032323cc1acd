"""The child processes of ``make run`` and the experiments: start one job, relay its output, end it.

Every child's stdout and stderr come through this process, so that each output is noted by
the step's ``Heartbeat`` (a step that shows nothing gets a line saying what it is doing)
and its ``RESULT`` line is read. Both are relayed as they come, so the producer's progress
bar can redraw itself in place on a terminal.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
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
    if echo and sys.stdout.isatty():
        # The child's progress bar may redraw in place: on its stdout, so that its lines and the
        # bar's come through one pipe, in the order they were written.
        env = {**env, LIVE_PROGRESS_VARIABLE: "1"}
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
        threading.Thread(target=_pump_stdout, args=(process.stdout, out, echo, heartbeat), daemon=True),
        threading.Thread(target=_pump_stderr, args=(process.stderr, err, echo, heartbeat), daemon=True),
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
    for line in result.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result.result = json.loads(line[len(RESULT_PREFIX) :])
    return result


def _chunks(source: IO[str]) -> Iterator[str]:
    """A child's output as it comes: read below the text layer, which would wait for a newline
    (a progress bar redraws without one); a character may straddle two reads."""
    descriptor = source.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while data := os.read(descriptor, 65536):
        yield decoder.decode(data)


def _pump_stdout(source: IO[str], kept: list[str], echo: bool, heartbeat: Heartbeat | None) -> None:
    """Keep a child's stdout; when asked, show it as it comes but for the RESULT line: the
    start of a line that may be that line is held back until the line is complete."""
    held = ""
    for text in _chunks(source):
        kept.append(text)
        if not echo:
            continue
        shown, held = _without_result_line(held + text)
        if shown:
            _show(sys.stdout, shown, heartbeat)


def _without_result_line(text: str) -> tuple[str, str]:
    """(what to show now, what to hold back) of ``text``, which starts at a line's start."""
    shown = []
    while text:
        line, newline, rest = text.partition("\n")
        if not newline and RESULT_PREFIX.startswith(line[: len(RESULT_PREFIX)]) and line[: len(RESULT_PREFIX)]:
            return "".join(shown), line  # maybe the RESULT line: wait for its end
        if not line.startswith(RESULT_PREFIX):
            shown.append(line + newline)
        text = rest
    return "".join(shown), ""


def _pump_stderr(source: IO[str], kept: list[str], echo: bool, heartbeat: Heartbeat | None) -> None:
    """Keep a child's stderr, and show it as it comes when asked."""
    for text in _chunks(source):
        kept.append(text)
        if echo:
            _show(sys.stderr, text, heartbeat)


def _show(stream: IO[str], text: str, heartbeat: Heartbeat | None) -> None:
    stream.write(text)
    stream.flush()
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
