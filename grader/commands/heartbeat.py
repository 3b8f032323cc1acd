"""Nothing silent: while a step of ``make run`` or an experiment prints nothing, say what it is doing.

A step that has printed nothing for ``SILENCE_SECONDS`` gets a line on stderr from the
parent process: how long the step has run and what the embedded Kinesis saw meanwhile (the
calls since the last line, a stream still CREATING). The learner's code is not touched, and
the lines stop as soon as it prints again. The decision is a pure function of a clock
(``Heartbeat.due``), so it is tested with a clock of the test's own.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

SILENCE_SECONDS = 0.7  # below the 1 s a learner should ever wait without a sign of life, with room for a busy machine
TICK_SECONDS = 0.1  # how often the watching thread looks


class Heartbeat:
    """Watches one step's output; ``with Heartbeat(...) as beat:`` runs the watching thread."""

    def __init__(
        self,
        label: str,
        activity: Callable[[], str] | None = None,
        stream: Any = None,
        clock: Callable[[], float] = time.monotonic,
        silence: float = SILENCE_SECONDS,
    ) -> None:
        self.label = label
        self.activity = activity
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.silence = silence
        self.started = self.last = clock()
        self.at_line_start = True
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def output(self, text: str) -> None:
        """The step printed ``text`` (on stdout or stderr): the silence starts again."""
        if not text:
            return
        with self.lock:
            self.last = self.clock()
            self.at_line_start = text.endswith(("\n", "\r"))

    def due(self) -> str | None:
        """The line to print now, if the step has been silent long enough; else None."""
        with self.lock:
            now = self.clock()
            if now - self.last < self.silence:
                return None
            self.last = now
            prefix = "" if self.at_line_start else "\n"
            self.at_line_start = True
        doing = self.activity() if self.activity is not None else ""
        return f"{prefix}  … {self.label}: {now - self.started:.1f} s, still running{f' ({doing})' if doing else ''}\n"

    def _watch(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            line = self.due()
            if line is not None:
                self.stream.write(line)
                self.stream.flush()

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._watch, name=f"heartbeat {self.label}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def kinesis_activity(kinesis: Any) -> Callable[[], str]:
    """What the embedded Kinesis saw since the last heartbeat line: its calls, and any stream
    that is still CREATING or UPDATING."""
    seen: Counter[str] = Counter()

    def describe() -> str:
        rules = kinesis.rules
        with kinesis.lock:
            calls = Counter(rules.calls)
            now = rules.clock(None)  # make run's calls carry no simulated clock: real time
            changing = sorted((name, status) for name, (status, until) in rules.status.items() if until > now)
        new = calls - seen
        seen.clear()
        seen.update(calls)
        parts = [f"stream '{name}' is {status}" for name, status in changing]
        if new:
            parts.append("Kinesis calls since the last line: " + ", ".join(f"{op} ×{n}" for op, n in new.most_common()))
        elif not calls:
            parts.append("no Kinesis call yet: Python and boto3 are starting")
        else:
            parts.append("no Kinesis call since the last line: the code is sleeping or busy")
        return "; ".join(parts)

    return describe
