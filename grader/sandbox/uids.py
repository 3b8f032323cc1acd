"""A uid of its own for the learner code of each worker, where the grader is root.

Learner code of two gradings running at once must not share a uid: with one uid for all,
a run of one grading could write where the other's runs read, signal them, or use up their
process limit (``RLIMIT_NPROC`` counts per uid). Each worker takes a free uid of
``UID_RANGE`` (numbers no account on the machine uses) and holds it with a lock on a file of
a folder only root may write; the lock goes with the process that holds it, so a grading
that was killed frees its uid by dying. Where no uid of the range is free, or the range is
not mapped in the user namespace the grader runs in, the worker falls back to ``nobody``.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import tempfile
from pathlib import Path

UID_RANGE = range(1_900_000_000, 1_900_000_064)
def _lock_folders() -> tuple[Path, ...]:
    """Where the uid locks may live; asked when needed, never at import (a grading whose
    temporary folder cannot be written must still be able to report that)."""
    return Path("/run/grader-sandbox-uids"), Path(tempfile.gettempdir()) / "grader-sandbox-uids"


class UidLease:
    """One uid of the range, held until ``release`` (or until this process ends)."""

    def __init__(self, uid: int, handle: int) -> None:
        self.uid = uid
        self._handle = handle

    def release(self) -> None:
        if self._handle >= 0:
            os.close(self._handle)  # closing the file drops its lock
            self._handle = -1


def lease() -> UidLease | None:
    """A free uid of ``UID_RANGE`` for this worker, or None (then ``nobody`` is used)."""
    if os.geteuid() != 0 or not _mapped(UID_RANGE):
        return None
    folder = _lock_folder()
    if folder is None:
        return None
    for uid in UID_RANGE:
        handle = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            continue
        if _in_use(uid):  # a process of that uid outlived a grading that did not end cleanly
            os.close(handle)
            continue
        return UidLease(uid, handle)
    return None


def available() -> bool:
    """Whether workers here can take uids of the range (as root, with the range mapped)."""
    return os.geteuid() == 0 and _mapped(UID_RANGE) and _lock_folder() is not None


def _lock_folder() -> Path | None:
    """The first folder of ``_lock_folders()`` that is root's own and closed to everyone else."""
    for folder in _lock_folders():
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if info.st_uid == 0 and not info.st_mode & 0o077 and folder.is_dir() and not folder.is_symlink():
                return folder
        except OSError:
            continue
    return None


def _mapped(uids: range) -> bool:
    """Whether every uid of ``uids`` exists in this process's user namespace."""
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return False
    for line in filter(None, (item.split() for item in lines)):
        inside, _, count = map(int, line)
        if inside <= uids.start and uids.stop <= inside + count:
            return True
    return False


def _in_use(uid: int) -> bool:
    """Whether an account or a running process has ``uid``."""
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    return True
            except OSError:
                continue
    return False
