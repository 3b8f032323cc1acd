"""The trusted side reads the worker's replies a line at a time, whatever arrives together."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from grader.sandbox.runner import Sandbox


def test_two_replies_written_at_once_are_both_read_without_waiting():
    # Runs that end at once: the worker's pids reply and exits reply reach the pipe together.
    read_end, write_end = os.pipe()
    os.write(write_end, b'{"pids": [7]}\n{"exits": [[7, 0, false]]}\n')
    os.close(write_end)
    with os.fdopen(read_end, "r") as stdout:
        side = SimpleNamespace(_unread=b"")
        proc = SimpleNamespace(stdout=stdout)
        first = Sandbox._readline(side, proc, time.monotonic() + 60)
        second = Sandbox._readline(side, proc, time.monotonic())  # no time left to wait: it is here already
        assert (first, second) == ('{"pids": [7]}\n', '{"exits": [[7, 0, false]]}\n')
