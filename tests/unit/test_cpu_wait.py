"""A run that waits for a CPU is not cut off for it; a run that waits on anything else is.

The worker times each run on the time it could have run: its real-time limit moves on by
the time the run waited, ready to run, for a CPU (``reaping.cpu_wait``), up to a cap. Here
the waiting is made on purpose: the run and three busy processes share one CPU (CPU 0), so
the run gets about a quarter of it however busy the rest of the machine is.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from grader.sandbox import reaping


def _spin(cpu_seconds: float) -> None:
    """Use ``cpu_seconds`` of this process's own CPU time (not of the clock on the wall)."""
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


def _child(body) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            os.sched_setaffinity(0, {0})
            body()
        finally:
            os._exit(0)
    return pid


@pytest.fixture()
def busy_cpu_zero() -> Iterator[None]:
    """Three processes that keep CPU 0 busy until the test ends."""
    hogs = [_child(lambda: _spin(600)) for _ in range(3)]
    try:
        yield
    finally:
        for pid in hogs:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def test_a_child_is_found_in_proc_by_its_own_pid():
    pid = _child(lambda: time.sleep(0.2))
    try:
        assert reaping.proc_entries([pid]) == {pid: f"/proc/{pid}"}
    finally:
        os.waitpid(pid, 0)
    assert reaping.cpu_wait("/proc/no-such-process") == 0.0


@pytest.mark.usefixtures("busy_cpu_zero")
def test_a_run_that_waited_for_the_cpu_gets_that_time_back():
    # 0.25 s of CPU within a 0.3 s limit: on a quarter of a CPU it takes about a second of
    # real time, three quarters of it waiting for the CPU.
    pid = _child(lambda: _spin(0.25))
    codes, late = reaping.wait_for([pid], 0.3, stretch=30)
    assert late == set() and codes == {pid: 0}


@pytest.mark.usefixtures("busy_cpu_zero")
def test_the_time_given_back_has_a_cap():
    pid = _child(lambda: _spin(60))
    codes, late = reaping.wait_for([pid], 0.2, stretch=2)
    assert late == {pid} and codes == {pid: -signal.SIGKILL}


def test_a_run_that_waits_on_anything_but_the_cpu_is_cut_off():
    pid = _child(lambda: time.sleep(60))
    started = time.monotonic()
    codes, late = reaping.wait_for([pid], 0.3, stretch=100)
    assert late == {pid} and codes == {pid: -signal.SIGKILL}
    assert time.monotonic() - started < 30  # not moved on: sleeping is not waiting for a CPU
