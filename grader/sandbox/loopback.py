"""One grading at a time where learner code could reach another grading's embedded Kinesis.

Each grading serves its Kinesis on a loopback port without authentication. Two layers keep
learner code on its own: a network namespace of the worker's own (the server is reached
through a unix socket bound into it), or Landlock's TCP rule (ABI 4, Linux 6.7). Where the
plan has neither (``Plan.shared_loopback``), the workers of this machine take turns: a worker
holds a lock on one file for as long as it exists, and a grading's parts share theirs (a
forked part holds the same open file), so gradings run one after another, never side by side.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

_HELD: list[int] = []  # the open lock file, held while a worker of this process exists
_USERS = [0]


def lock_path() -> Path:
    """The lock file every grading of this machine uses (root's own where the grader is root)."""
    # A fixed folder, not TMPDIR: gradings started with different temporary folders must still meet.
    places = (["/run"] if os.geteuid() == 0 else []) + ["/tmp", tempfile.gettempdir()]
    folder = Path(next((place for place in places if os.access(place, os.W_OK)), tempfile.gettempdir()))
    return folder / f"grader-loopback-{os.geteuid()}.lock"


def take_turn() -> None:
    """Wait until no other grading's worker runs learner code, and keep the turn until ``end_turn``."""
    _USERS[0] += 1
    if _HELD:
        return
    handle = os.open(lock_path(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    _HELD.append(handle)


def end_turn() -> None:
    _USERS[0] = max(_USERS[0] - 1, 0)
    if _USERS[0] == 0 and _HELD:
        os.close(_HELD.pop())
