"""The server's own account of the learner run it is serving: which connections belong to it,
what it has spent, and whether it went over its budgets.

A run's budgets (simulated seconds, Kinesis calls) are kept here, by the server, not only in
the learner's process: code that takes the clock's wrapper out of botocore's send, or writes
its own ``X-Grader-Clock`` header, still spends the calls it makes and the times it claims.
A connection belongs to the run during which it was accepted (``accepted``); a request on a
connection of an earlier run is refused, so a request queued by a run that was stopped is
never served in the next one. Each connection keeps its own simulated clock: its identity is
the connection the kernel gave it, never a number the caller writes.
"""

from __future__ import annotations

import itertools
import math
import threading
import time


class RunLedger:
    """The current run of one embedded Kinesis: its number, budgets and what it spent."""

    def __init__(self) -> None:
        self.generation = 0
        self._keys = itertools.count(1)
        self._lock = threading.Lock()
        self.start(math.inf, math.inf)

    def start(self, seconds_budget: float, http_budget: float) -> None:
        """A new run begins: connections of earlier runs are no longer served."""
        with self._lock:
            self.generation += 1
            self.seconds_budget = seconds_budget
            self.http_budget = http_budget
            self.calls = 0
            self.latest = 0.0  # the latest simulated time a request of this run was served at
            self.last_call = -math.inf  # when (real, monotonic) its last call came
            self.over = ""  # why the run went over a budget, or ""

    def accepted(self) -> tuple[int, str]:
        """A new connection: the run it belongs to, and the key of its own clock."""
        with self._lock:
            return self.generation, f"c{next(self._keys)}"

    def current(self, generation: int) -> bool:
        return generation == self.generation

    def charge(self, now: float | None) -> str:
        """Count one call of the current run (served at simulated ``now``, or None on real time);
        return why it must be refused for going over a budget, or ""."""
        with self._lock:
            self.calls += 1
            self.last_call = time.monotonic()
            if now is not None and now > self.latest:
                self.latest = now
            if not self.over and self.calls > self.http_budget:
                self.over = f"it made more than {self.http_budget:g} calls to Kinesis"
            elif not self.over and self.latest > self.seconds_budget:
                self.over = (
                    f"it was still running after {self.seconds_budget:g} simulated seconds "
                    f"({self.calls} calls to Kinesis so far)"
                )
            return self.over

    def verdict(self) -> str:
        """Why the current run went over a budget, or ""."""
        with self._lock:
            return self.over

    def busy(self, within: float = 1.0) -> int:
        """How many calls the current run made, if its last one came less than ``within`` real
        seconds ago (it was still working with Kinesis, not stuck), else 0."""
        with self._lock:
            return self.calls if time.monotonic() - self.last_call < within else 0
