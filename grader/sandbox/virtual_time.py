"""A simulated clock for the worker process, so learner sleeps cost no real time.

The module's code sleeps 0.1 s per event and 1 s per empty poll; graded for real, that is
minutes. Inside the worker every clock the learner can reach (``time.time``,
``time.monotonic``, ``time.perf_counter``, their ``_ns`` forms, ``datetime.now`` and
``utcnow``) reads one simulated clock, and ``time.sleep`` advances it at once.

The clock is deterministic: it moves only by sleeps, by ``HTTP_CALL_SECONDS`` per Kinesis
call (a stand-in for network latency) and by one microsecond per reading, so a loop that
only watches the clock still sees time pass. The same code therefore sees the same times
on every run, and scores do not depend on the machine's speed.

The embedded Kinesis counts its per-shard rate limits on this clock: every request carries
``X-Grader-Clock: <pid> <seconds>`` and every answer the server's time for this process,
which the clock adopts if it is later (see ``grader.kinesis.rules``). ``random`` is seeded
once per run, so botocore's retry jitter, and with it which calls a busy shard refuses, is
the same on every run.
"""

from __future__ import annotations

import datetime as _datetime
import math
import os
import random
import threading
import time as _time
from collections.abc import Callable

HTTP_CALL_SECONDS = 0.005
TICK_SECONDS = 1e-6
CLOCK_HEADER = "X-Grader-Clock"


class VirtualClock:
    """Simulated seconds since the worker started, with budgets that end runaway code."""

    def __init__(self, epoch: float, on_budget: Callable[[str], None]) -> None:
        self.epoch = epoch  # real wall time at start: datetimes stay plausible
        self.elapsed = 0.0
        self.http_calls = 0
        self.seconds_budget = math.inf
        self.http_budget = math.inf
        self._on_budget = on_budget
        self._lock = threading.Lock()

    def read(self) -> float:
        """Return the simulated seconds elapsed, ticking a microsecond."""
        with self._lock:
            self.elapsed += TICK_SECONDS
            now = self.elapsed
        self._check()
        return now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self.elapsed += seconds
        self._check()

    def count_http_call(self) -> float:
        """Account for one HTTP call to Kinesis; return the time it is sent at."""
        with self._lock:
            self.http_calls += 1
            self.elapsed += HTTP_CALL_SECONDS
            now = self.elapsed
        self._check()
        return now

    def catch_up(self, seconds: float) -> None:
        """Move forward to ``seconds`` if that is later (the server's time for this process)."""
        with self._lock:
            if math.isfinite(seconds) and seconds > self.elapsed:
                self.elapsed = seconds
        self._check()

    def _check(self) -> None:
        if self.elapsed > self.seconds_budget:
            self._on_budget(
                f"it was still running after {self.seconds_budget:g} simulated seconds "
                f"({self.http_calls} calls to Kinesis so far)"
            )
        elif self.http_calls > self.http_budget:
            self._on_budget(f"it made more than {self.http_budget:g} calls to Kinesis")


def install(clock: VirtualClock) -> None:
    """Point every clock and sleep of the process at ``clock``."""
    real_sleep = _time.sleep

    def sleep(seconds: float) -> None:
        """Advance the simulated clock instead of waiting."""
        if not isinstance(seconds, (int, float)):
            raise TypeError(f"'{type(seconds).__name__}' object cannot be interpreted as an integer or float")
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        clock.advance(float(seconds))
        real_sleep(0)  # let other threads run, as a real sleep would

    def wall() -> float:
        return clock.epoch + clock.read()

    def monotonic() -> float:
        return 1000.0 + clock.read()

    _time.sleep = sleep
    _time.time = wall
    _time.monotonic = monotonic
    _time.perf_counter = monotonic
    _time.time_ns = lambda: int(wall() * 1e9)
    _time.monotonic_ns = lambda: int(monotonic() * 1e9)
    _time.perf_counter_ns = lambda: int(monotonic() * 1e9)

    base = _datetime.datetime

    class SimulatedDatetime(base):
        """``datetime.datetime`` whose now/utcnow/today read the simulated clock."""

        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> _datetime.datetime:
            return base.fromtimestamp(wall(), tz)

        @classmethod
        def utcnow(cls) -> _datetime.datetime:
            return base.fromtimestamp(wall(), _datetime.timezone.utc).replace(tzinfo=None)

        @classmethod
        def today(cls) -> _datetime.datetime:
            return base.fromtimestamp(wall())

    SimulatedDatetime.__name__ = SimulatedDatetime.__qualname__ = "datetime"
    _datetime.datetime = SimulatedDatetime


def count_http_calls(clock: VirtualClock) -> None:
    """Advance the clock on every HTTP request botocore sends, and tell Kinesis the time."""
    from botocore.httpsession import URLLib3Session

    original_send = URLLib3Session.send
    random.seed(0)

    def send(self: URLLib3Session, request: object) -> object:
        now = clock.count_http_call()
        headers = getattr(request, "headers", None)
        if headers is not None:
            headers[CLOCK_HEADER] = f"{os.getpid()} {now:.6f}"
        response = original_send(self, request)
        try:
            clock.catch_up(float(response.headers.get(CLOCK_HEADER, "nan")))
        except (AttributeError, TypeError, ValueError):
            pass
        return response

    URLLib3Session.send = send
