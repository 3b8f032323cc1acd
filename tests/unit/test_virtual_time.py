"""The simulated clock: moves by sleeps, calls and ticks only, and ends runaway code at its budgets."""

from __future__ import annotations

import math

import pytest

from grader.sandbox.virtual_time import HTTP_CALL_SECONDS, TICK_SECONDS, VirtualClock


class Budget(Exception):
    """Raised by the test's budget callback."""


def clock() -> VirtualClock:
    def over(message: str) -> None:
        raise Budget(message)

    return VirtualClock(epoch=1_000_000.0, on_budget=over)


def test_clock_moves_only_by_reads_sleeps_and_calls():
    c = clock()
    first = c.read()
    assert first == pytest.approx(TICK_SECONDS)
    c.advance(2.5)
    c.count_http_call()
    assert c.read() == pytest.approx(2 * TICK_SECONDS + 2.5 + HTTP_CALL_SECONDS)
    assert c.http_calls == 1


def test_readings_always_increase():
    c = clock()
    readings = [c.read() for _ in range(100)]
    assert readings == sorted(readings) and len(set(readings)) == 100


def test_seconds_budget_stops_a_sleeper():
    c = clock()
    c.seconds_budget = 10
    c.advance(9.9)
    with pytest.raises(Budget, match="10 simulated seconds"):
        c.advance(0.2)


def test_call_budget_stops_a_busy_loop():
    c = clock()
    c.http_budget = 3
    for _ in range(3):
        c.count_http_call()
    with pytest.raises(Budget, match="more than 3 calls"):
        c.count_http_call()
    assert math.isinf(clock().seconds_budget)
