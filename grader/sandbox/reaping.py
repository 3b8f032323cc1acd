"""What processes leave behind: in the worker after each batch of runs, and in a grading.

The worker keeps each run's wall-clock limit itself (``wait_for``), then kills whatever the
runs left (``sweep_orphans``: as pid 1 of its own pid namespace, everything else in it;
otherwise its children, since it is their child subreaper) before it reports, and empties
the learner's temporary folder (``empty_folder``). It dies with the process that started it
(``die_with_parent``), and so, as pid 1, does everything in its namespace.

A grading holds its processes the same way (``nothing_left_running``): for as long as it
runs, the grading process is a child subreaper, so every process started beneath it stays
beneath it even when the process between them dies; when the grading ends, however it ends,
each of them is killed and waited for before it returns.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 1, 36, 37
_GRADING = threading.Lock()  # one grading at a time per process: its end kills every new child


def _prctl(option: int, value: object) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper(on: bool = True) -> bool:
    """Make orphans of learner code (even after setsid) children of this process, so none escape."""
    return _prctl(PR_SET_CHILD_SUBREAPER, int(on))


def is_subreaper() -> bool:
    flag = ctypes.c_int(0)
    return _prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag)) and bool(flag.value)


def die_with_parent(parent: int | None = None) -> None:
    """Be killed when the thread that started this process ends, however it ends.

    Set first thing in a worker: a worker whose grader was killed (a batch timeout) then
    dies too, and as pid 1 of its namespace takes every learner process with it. With
    ``parent``, a process whose parent ended before the call leaves at once; a worker
    without it reads the end of its input and leaves.
    """
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if parent is not None and os.getppid() != parent:
        os._exit(70)


def children(pid: int | None = None) -> list[int]:
    """Pids whose parent is ``pid`` (this process by default), read from /proc."""
    listed = _children_listed("self" if pid is None else str(pid))  # "self": right in a pid namespace too
    if listed is not None:
        return listed
    parent = int(os.readlink("/proc/self")) if pid is None else pid
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[1]) == parent:
            found.append(int(entry))
    return found


def descendants(pid: int, skip: frozenset[int] = frozenset()) -> list[int]:
    """Every process below ``pid``, level by level, but those in ``skip`` and what is below them."""
    found: list[int] = []
    below = sorted(child for child in children(pid) if child not in skip)
    while below:
        found.extend(below)
        below = sorted({child for parent in below for child in children(parent) if child not in skip})
    return found


def _children_listed(pid: str) -> list[int] | None:
    """The kernel's own list of a process's children, or None where it has none.

    Reading one small file per thread costs microseconds; scanning /proc costs milliseconds
    a run.
    """
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found.extend(int(child) for child in handle.read().split())
    except (OSError, ValueError):
        return None
    return found


def sweep_orphans() -> None:
    """Kill and wait for every process left over from the runs (they were reparented here).

    As pid 1 of the worker's own pid namespace, one signal reaches them all and none can be
    forked after it; waiting until no child is left then means no process is left in it.
    """
    if os.getpid() != 1:
        kill_children()
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def kill_children(keep: frozenset[int] = frozenset()) -> None:
    """Kill every child of this process but ``keep``, and wait for each; again for their orphans.

    A killed child's own children are reparented here (this process is their subreaper), so
    rounds go on until no child is left: afterwards, nothing this process started beneath
    it is running. Waiting for a pid namespace's pid 1 returns only once its namespace is empty.
    """
    while True:
        pids = [pid for pid in children() if pid not in keep]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


@contextlib.contextmanager
def nothing_left_running() -> Iterator[None]:
    """Run the block as one grading: every process started beneath it is gone when it ends.

    However the block ends (normally, by an exception, by Ctrl-C or SIGTERM turned into an
    exception), every child this process gained meanwhile is killed and waited for, and so
    are their orphans. Children the process had before are left alone. An interrupt that
    arrives while they are being stopped is delivered afterwards.
    """
    with _GRADING:
        was_subreaper = is_subreaper()
        become_subreaper()
        before = frozenset(children())
        try:
            yield
        finally:
            with _interrupts_deferred():
                kill_children(keep=before)
                if not was_subreaper:
                    become_subreaper(False)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM (their Python handlers run in the main thread only) until the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        if previous is not None:  # None: a handler not set from Python, left as it is
            held[number] = previous
            signal.signal(number, lambda got, _frame: caught.append(got))
    try:
        yield
    finally:
        for number, previous in held.items():
            signal.signal(number, previous)
        if caught:
            signal.raise_signal(caught[0])


# A run that waited for a CPU (a busy machine) gets its real-time limit again for the time it
# waited, up to this many times the limit: learner code is timed on the time it could have
# run. The part's budget still counts every real second, so code that makes itself wait
# (busy processes of its own on its one CPU) only spends that budget faster.
CPU_WAIT_STRETCH = 3.0


def wait_for(
    pids: list[int], seconds: float, stretch: float = CPU_WAIT_STRETCH
) -> tuple[dict[int, int], set[int]]:
    """Wait for the runs until ``seconds`` have passed, then kill what is left: (exit codes, timed out).

    The limit moves on by the time the runs still going have waited, ready to run, for a CPU
    (``cpu_wait``), up to ``stretch`` times ``seconds`` in all.
    """
    started = time.monotonic()
    deadline, longest = started + seconds, started + seconds * max(stretch, 1.0)
    entries = proc_entries(pids)
    waiting = {os.pidfd_open(pid): pid for pid in pids}
    late: set[int] = set()
    try:
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waited = max((cpu_wait(entries[pid]) for pid in waiting.values() if pid in entries), default=0.0)
                moved = min(longest, started + seconds + waited)
                if moved > time.monotonic() + 0.001:
                    deadline = moved
                    continue
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


def proc_entries(pids: list[int]) -> dict[int, str]:
    """The /proc folders of this process's children ``pids``, numbered as this process sees them.

    As pid 1 of its own pid namespace, this process may still see the machine's /proc, where
    the numbers differ: a child is found among this process's children by the last number of
    its ``NSpid``, which is its pid in the innermost namespace, this one. A child not found
    (a kernel without ``NSpid``) has no entry.
    """
    wanted, entries = set(pids), {}
    for listed in children():
        try:
            with open(f"/proc/{listed}/status", "rb") as handle:
                numbers = next((line.split()[1:] for line in handle if line.startswith(b"NSpid:")), [])
        except OSError:
            continue
        if numbers and numbers[-1].isdigit() and int(numbers[-1]) in wanted:
            entries[int(numbers[-1])] = f"/proc/{listed}"
    return entries


def cpu_wait(entry: str) -> float:
    """Seconds the process at /proc folder ``entry`` has waited, ready to run, for a CPU.

    The kernel's ``run_delay`` (the second field of ``schedstat``), readable until the process
    is reaped; 0 where it cannot be read.
    """
    try:
        with open(f"{entry}/schedstat", "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


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
