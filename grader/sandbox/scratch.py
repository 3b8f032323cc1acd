"""The one folder learner code may write: new and empty for every run, capped in size, private.

Where the worker has a mount namespace, the folder is a tmpfs of ``CAP_BYTES`` (and 4096
files) in it, mounted before the Landlock rules are made (a rule holds the folder it names,
so a tmpfs mounted later would not be writable): runs can never write more than the cap,
whatever the disk below holds, it is emptied after each batch, and it vanishes with the
worker's namespace. Elsewhere the folder lies
in the grading's own temporary folder; a thread of the worker measures it while the runs go
on and stops them at the cap (``RLIMIT_FSIZE`` bounds each file meanwhile), and everything in
it is removed after each batch. Nothing of the worker's own lies in it: compiled modules are
made by the worker, before learner code runs, in a folder learner code can only read
(``compile_exercises``).

Runs in the worker (trusted), never in a child after learner code started.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import py_compile
import signal
import threading
from pathlib import Path

from grader.sandbox import reaping
from grader.sandbox.messages import LEARNER_FOLDER_CAP_BYTES as CAP_BYTES

CHECK_SECONDS = 0.05  # how often the folder is measured where no tmpfs caps it
MS_NOSUID, MS_NODEV = 2, 4
_libc = ctypes.CDLL(None, use_errno=True)


def compile_exercises(exercises: Path) -> None:
    """Compile the learner's modules into the exercises copy's ``__pycache__``.

    Compiling runs none of the learner's code. The copy is the grading's own, and learner
    code may only read it (Landlock, and another uid where the grader is root); runs never
    write bytecode (``dont_write_bytecode``), so a compiled module always comes from this
    grading's own sources. Other modules (boto3, what the learner imports) load from the
    caches their installation wrote, as in any Python program."""
    cache = exercises / "__pycache__"
    try:
        cache.mkdir(mode=0o755, exist_ok=True)
        cache.chmod(0o755)
    except OSError:
        return
    for source in sorted(exercises.glob("*.py")):
        target = importlib.util.cache_from_source(str(source))
        try:
            py_compile.compile(str(source), cfile=target, doraise=True)
            os.chmod(target, 0o644)
        except (py_compile.PyCompileError, OSError, ValueError):
            pass  # the import in the run reports it


class LearnerFolder:
    """The learner's folder of one worker, and its home (HOME and TMPDIR) inside it."""

    def __init__(self, folder: Path, home: Path, ids: tuple[int, int] | None, tmpfs: bool) -> None:
        self.folder = folder
        self.home = home
        self.ids = ids
        self.tmpfs = tmpfs
        self.mounted = False
        self.over = False  # whether the runs of the last batch wrote past the cap
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def prepare(self) -> None:
        """Before the Landlock rules are made, and before each batch: the folder and its home exist
        (on the tmpfs, where there is a mount namespace)."""
        self.over = False
        if self.tmpfs and not self.mounted:
            owner = f",uid={self.ids[0]},gid={self.ids[1]}" if self.ids else ""
            options = f"mode=0700,size={CAP_BYTES},nr_inodes=4096{owner}".encode()
            if _libc.mount(b"tmpfs", str(self.folder).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
                error = ctypes.get_errno()
                raise OSError(error, f"mount a tmpfs on the learner's folder: {os.strerror(error)}")
            self.mounted = True
        try:
            os.mkdir(self.home, 0o700)
            if self.ids is not None:
                os.chown(self.home, *self.ids)
        except FileExistsError:
            pass

    def watch(self, pids: list[int]) -> None:
        """While the runs ``pids`` go on, stop them all if the folder grows past the cap (no tmpfs only)."""
        if self.tmpfs:
            return
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, args=(list(pids),), daemon=True)
        self._watcher.start()

    def _watch(self, pids: list[int]) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            if _size(self.folder) > CAP_BYTES:
                self.over = True
                for pid in pids:
                    try:
                        os.killpg(pid, signal.SIGKILL)  # each run leads its own process group
                    except OSError:
                        pass
                return

    def wipe(self) -> None:
        """After a batch (its runs and what they started are gone): nothing they wrote is left."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        reaping.empty_folder(self.folder, self.ids)


def _size(folder: Path) -> int:
    """Bytes the files beneath ``folder`` take on disk (links are not followed)."""
    total = 0
    stack = [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return total
