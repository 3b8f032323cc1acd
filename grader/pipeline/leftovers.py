"""What a killed grading leaves in the temporary folder, and how the next grading removes it.

Every folder a grading makes there (``grader-*``: its own, and each worker's) holds a lock file
that the grading process keeps locked (``flock``) for as long as it uses the folder. The lock
goes when the process ends, however it ends (SIGKILL from a batch timeout included), so a
``grader-*`` folder whose lock can be taken belongs to nobody any more: the next grading
removes it. A folder in use is never removed; one without a lock file only once it is a day
old (it may be in the instant between its creation and its lock) and holds what a grading's
folder holds; nothing but the names ``tempfile.mkdtemp`` gave a grading is ever looked at.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "grader-"
LOCK_NAME = ".grading.lock"
UNLOCKED_GRACE_SECONDS = 24 * 3600
# The names tempfile.mkdtemp gives a grading's folder and a worker's: nothing else is touched.
_NAME = re.compile(r"grader-(?:worker-)?[a-z0-9_]{8}")
# What a grading's or a worker's folder holds: a folder without a lock file must hold one of these.
_OWN_ENTRIES = ("exercises", "learner")


def hold(folder: Path) -> int:
    """Lock ``folder`` for this process (and the forks that share its descriptor); the descriptor."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def release(fd: int) -> None:
    """Let go of a folder's lock (closing the descriptor drops it)."""
    try:
        os.close(fd)
    except OSError:
        pass


def sweep(temp: Path | None = None) -> list[str]:
    """Remove the ``grader-*`` folders of this user that no living grading holds; their names."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(temp or tempfile.gettempdir()))
    except OSError:  # no temporary folder usable (a full disk): the grading itself will say so
        return removed
    for entry in entries:
        try:
            if not _NAME.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
        except OSError:
            continue
        if _remove_if_abandoned(Path(entry.path), entry.stat(follow_symlinks=False).st_mtime):
            removed.append(entry.name)
    return removed


def _remove_if_abandoned(folder: Path, modified: float) -> bool:
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:  # made before locks were, or in the instant before its lock
        if time.time() - modified < UNLOCKED_GRACE_SECONDS or not any((folder / n).exists() for n in _OWN_ENTRIES):
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: a grading is using it
            return False
        shutil.rmtree(folder, ignore_errors=True)  # never follows a link out of the folder
        return True
    finally:
        os.close(fd)
