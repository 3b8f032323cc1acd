"""What runs leave behind in the worker: their processes and their files.

The worker keeps each run's wall-clock limit itself (``wait_for``), then kills whatever the
runs left (``sweep_orphans``: as pid 1 of its own pid namespace, everything else in it;
otherwise its children, since it is their child subreaper) before it reports, and empties
the learner's temporary folder (``empty_folder``).
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import stat
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphans of learner code (even after setsid) children of this worker, so none escape."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> list[int]:
    """Pids whose parent is this process (read from /proc)."""
    listed = _children_listed()
    if listed is not None:
        return listed
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[1]) == me:
            found.append(int(entry))
    return found


def _children_listed() -> list[int] | None:
    """The kernel's own list of this process's children, or None where it has none.

    Reading one small file per thread costs microseconds; scanning /proc costs milliseconds
    a run.
    """
    found: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", "rb") as handle:
                found.extend(int(pid) for pid in handle.read().split())
    except (OSError, ValueError):
        return None
    return found


def sweep_orphans() -> None:
    """Kill and reap every process left over from the runs (they were reparented here)."""
    for _ in range(200):
        while True:  # reap what has already ended
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        if os.getpid() == 1:  # pid 1 of the worker's own pid namespace: only runs' processes are in it
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            for pid in _children():
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        time.sleep(0.002)


def wait_for(pids: list[int], seconds: float) -> tuple[dict[int, int], set[int]]:
    """Wait for the runs until ``seconds`` have passed, then kill what is left: (exit codes, timed out)."""
    deadline = time.monotonic() + seconds
    waiting = {os.pidfd_open(pid): pid for pid in pids}
    late: set[int] = set()
    try:
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                late = set(waiting.values())
                for pid in late:
                    for kill in (os.killpg, os.kill):
                        try:
                            kill(pid, signal.SIGKILL)
                        except (ProcessLookupError, PermissionError):
                            pass
                break
            ready, _, _ = select.select(list(waiting), [], [], remaining)
            for fd in ready:
                waiting.pop(fd)
                os.close(fd)
    finally:
        for fd in waiting:
            os.close(fd)
    codes = {}
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        codes[pid] = os.waitstatus_to_exitcode(status)
    return codes, late


def empty_folder(folder: Path, ids: tuple[int, int] | None) -> None:
    """Remove what the last runs left in the learner's folder (no run is alive any more).

    Links are removed, never followed: if learner code replaced the folder itself by a link
    or a file, that goes and a new, empty folder takes its place.
    """
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            os.unlink(folder)
    except FileNotFoundError:
        pass
    try:
        os.mkdir(folder, 0o700)
        if ids is not None:
            os.chown(folder, ids[0], ids[1])
    except FileExistsError:
        pass
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                pass
