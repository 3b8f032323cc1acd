"""The trusted side of the sandbox: starts the worker, runs scripts in it, reads what happened.

This is the boundary between grading code and learner code. ``isolation.isolation()`` decides
once per process what the worker sets up (Landlock, a uid of its own, namespaces) and whether
hidden tests may run; ``messages`` is all the worker and this side say to each other.
Everything that comes back from the worker is data to check, never code to trust: results
are read, with a size cap, from files only the trusted side and each run's own descriptors
reach; a worker that does not report in time is killed with everything it started.
"""

from __future__ import annotations

import os
import pwd
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.pipeline import leftovers
from grader.sandbox import cpu_share, loopback, messages, reaping, uids
from grader.sandbox.isolation import isolation, reveal_own_folders
from grader.sandbox.messages import PART_SECONDS_VARIABLE, TOKEN_VARIABLE, ChildLimits, Ending, Exit, RunOrder

ZYGOTE = Path(__file__).with_name("zygote.py")
MAX_RESULT_BYTES = 4 * 1024 * 1024
WORKER_START_SECONDS = 60.0  # a new worker imports boto3 and warms up before it forks the first runs
FREE_SECONDS_PER_RUN = 1.0  # of each run's real time, not counted against the part's budget
WORKER_GRACE_SECONDS = 15.0  # after a run's wall-clock limit, before the worker itself is stopped


def _child_limits() -> ChildLimits:
    return ChildLimits(memory_bytes=1024 * 1024 * 1024, cpu_seconds=30, file_bytes=8 * 1024 * 1024, processes=256)


@dataclass
class Limits:
    """What one run of learner code may use: the wall clock, kept by the worker, and what the
    child caps for itself."""

    wall_seconds: float = messages.DEFAULT_WALL_SECONDS  # the reference's slowest run takes well under a second
    child: ChildLimits = field(default_factory=_child_limits)
    # The real time all runs of one worker (one part of a grading) may take together beyond
    # the first second of each (``FREE_SECONDS_PER_RUN``), from the request to the worker's
    # report, the grader's own work between runs left out. A correct run takes under a second
    # even on a busy machine, so a correct submission spends next to nothing of it, however
    # loaded the machine is; code that waits seconds in every run spends it within a minute.
    # Past it, learner code is not run and its checks are reported as not finished.
    part_seconds: float = field(default_factory=lambda: float(os.environ.get(PART_SECONDS_VARIABLE) or 60.0))


# A run whose result file holds nothing never reached learner code (its first line is written
# before the first step): the grader failed, not the learner. Below this much free space in the
# worker's folder, a run that ended without its last line is taken as one the disk failed.
MIN_FREE_BYTES = 2 * MAX_RESULT_BYTES


class GraderFailure(RuntimeError):
    """The grader's own machinery failed (no space left, a result file it could not create or
    read): the check is an error, never a verdict on the learner's code."""


@dataclass
class RunResult:
    """What happened to one script."""

    # "done", "timeout", "budget", "crashed", "unfinished" (the part's time budget ran out);
    # "grader" when the grader itself failed
    status: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    calling: str | None = None  # label of the step running when it stopped
    calling_key: str | None = None  # its method, e.g. "EventConsumer.consume"
    detail: str = ""
    output: str = ""
    output_dropped: int = 0


class Sandbox:
    """A worker process for one copy of the learner's exercises."""

    def __init__(
        self, exercises: Path, env: dict[str, str] | None = None, limits: Limits | None = None, token: str = ""
    ) -> None:
        self.exercises = exercises
        self.env = env
        self.limits = limits or Limits()
        self.hung: set[str] = set()  # methods that timed out once: later calls fail at once
        self.workdir = Path(tempfile.mkdtemp(prefix=leftovers.PREFIX + "worker-"))
        self._lock = leftovers.hold(self.workdir)  # the next grading removes the folder once this process is gone
        self.token = token or secrets.token_hex(16)  # given by a parent that must be able to clean up too
        self.isolation = isolation()
        self.learner = self.workdir / messages.LEARNER_FOLDER  # the one folder learner code may write
        self.scratch = self.learner / messages.SCRATCH_FOLDER
        learner_folders = (self.learner, self.scratch)
        for folder in learner_folders:
            folder.mkdir(mode=0o700)
        self.plan: messages.Plan = dict(self.isolation["plan"], learner=str(self.learner))
        # Where the worker has a network namespace, the embedded Kinesis listens here for its bridge.
        self.kinesis_socket = self.workdir / messages.KINESIS_SOCKET if self.plan.get("network") else None
        self.uid_lease = None
        self.shares_loopback = bool(self.plan.get("shared_loopback"))
        if self.shares_loopback:
            loopback.take_turn()  # no layer keeps learner code off other gradings' ports: one at a time
        if self.plan.get("drop_uid") and not self.plan.get("refuse"):
            entry = pwd.getpwnam(self.plan["user"])
            ids = entry.pw_uid, entry.pw_gid
            self.uid_lease = uids.lease()  # a uid of its own: no other grading's runs share it
            if self.uid_lease is not None:
                ids = self.uid_lease.uid, self.uid_lease.uid
                self.plan["uid"] = self.uid_lease.uid
            self.workdir.chmod(0o711)  # others may pass through to learner/, and see nothing else here
            for folder in learner_folders:
                os.chown(folder, *ids)
            why = reveal_own_folders(self.plan, exercises, self.workdir)
            if why:
                self.plan["refuse"] = why
        self._proc: subprocess.Popen[str] | None = None
        self._cpu_group: Path | None = None  # the worker's cgroup: one CPU for it and its runs
        self._env_sent = False
        self._unread = b""
        self._counter = 0
        # Why the embedded Kinesis counts the last run as never finishing ("" if not); its argument:
        # whether a run of it was stopped at its real-time limit.
        self.server_verdict: Callable[[bool], str] = lambda timed_out: ""
        self.connected_to: Any = None  # the embedded Kinesis its environment points at, once given
        self.spent = 0.0  # real seconds its runs took so far beyond their first second each (``Limits.part_seconds``)

    def start(self) -> None:
        """Start the worker now, so that it loads boto3 while the grader does other work.

        The Kinesis endpoint may not exist yet: ``provide_environment`` sends it later.
        """
        self._start()

    def provide_environment(self, env: dict[str, str]) -> None:
        """Give the worker the environment learner code sees (the Kinesis endpoint, fake keys)."""
        self.env = env
        if self._proc is not None and self._proc.poll() is None:
            self._send_environment(self._proc)

    def _send_environment(self, proc: subprocess.Popen[str]) -> None:
        if self._env_sent or self.env is None:
            return
        assert proc.stdin is not None
        try:
            proc.stdin.write(messages.environment_request(self.env))
            proc.stdin.flush()
        except OSError:  # the worker has already left: the next request finds out, and says why
            return
        self._env_sent = True

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.scratch),
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0",
                **messages.worker_variables(self.token, str(self.workdir), self.plan),
                "TMPDIR": str(self.scratch),
            }
            self._proc = subprocess.Popen(
                [sys.executable, "-I", str(ZYGOTE), str(self.exercises)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.workdir,
                env=env,
                text=True,
                start_new_session=True,
            )
            cpu_share.release(self._cpu_group)
            self._cpu_group = cpu_share.confine(self._proc.pid, f"{self.token[:16]}-{self._proc.pid}")
            self._env_sent = False
            self._unread = b""  # what the worker wrote and this side has not read as a line yet
        self._send_environment(self._proc)
        return self._proc

    def run(self, steps: list[dict[str, Any]], **budgets: Any) -> RunResult:
        """Run one script and return what happened."""
        return self.run_many([steps], **budgets)[0]

    def run_many(
        self, scripts: list[list[dict[str, Any]]], wall_seconds: float | None = None, **budgets: Any
    ) -> list[RunResult]:
        """Run several scripts at the same time, each in its own child process.

        The worker enforces the wall-clock limit itself (it kills the runs and everything they
        started); this side waits a little longer and then stops the whole worker.
        """
        if self.env is None:
            raise RuntimeError("Sandbox.provide_environment was never called")
        wall = wall_seconds or self.limits.wall_seconds
        left = self.limits.part_seconds - self.spent
        budget = (
            f"the grading's time budget ({self.limits.part_seconds:g} s of real time for your code, "
            f"beyond {FREE_SECONDS_PER_RUN:g} s a run)"
        )
        if left < min(wall, 1.0):  # the part's time is spent: learner code is not run any more
            return [RunResult("unfinished", detail=f"{budget} ran out before it") for _ in scripts]
        capped = left < wall
        wall = min(wall, left)
        started = time.monotonic()
        proc = self._start()
        runs = []
        for steps in scripts:
            self._counter += 1
            result_path = str(self.workdir / f"run-{self._counter}.jsonl")
            output_path = str(self.workdir / f"run-{self._counter}.out")
            runs.append(RunOrder(steps, result_path, output_path, sorted(self.hung), **budgets))
        exits: list[Exit] = []
        worker_failed = ""
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(messages.runs_request(runs, self.limits.child, wall))
            proc.stdin.flush()
            pids = messages.read_pids(self._readline(proc, time.monotonic() + WORKER_START_SECONDS))
            # The runs are forked now; the worker moves their limit on by the time they waited for a CPU.
            last = wall * reaping.CPU_WAIT_STRETCH + WORKER_GRACE_SECONDS
            line = self._readline(proc, time.monotonic() + last)
            if line is None:
                raise RuntimeError("the worker did not report after its runs' time was up")
            exits = messages.read_exits(line)
            if len(exits) != len(pids) or len(exits) != len(runs):
                raise ValueError("the worker reported another number of runs")
        except (OSError, ValueError, KeyError, RuntimeError, TypeError):
            # A worker that left by itself with an error code failed in the grader's own code
            # (learner code never runs in it, and cannot make it raise): no run is the learner's.
            code = _exit_code(proc)
            worker_failed = f"the grader's worker process failed (exit code {code})" if code and code > 0 else ""
            self.close()  # the worker itself is broken: start a new one next time
            exits = [Exit(None, False) for _ in runs]
        self.spent += max(time.monotonic() - started - FREE_SECONDS_PER_RUN, 0.0)
        results = []
        over = self.server_verdict(any(e.timed_out for e in exits))
        for run, exit_info in zip(runs, exits):
            if worker_failed:
                result = RunResult("grader", detail=worker_failed)
            else:
                result = _read_result(run, exit_info, wall)
            if over and result.status not in ("budget", "grader"):
                result = RunResult("budget", [], result.calling, result.calling_key, over[:300], result.output)
            elif capped and result.status == "timeout":
                why = f"{budget} ran out during it"
                result = RunResult("unfinished", [], result.calling, result.calling_key, why, result.output)
            if result.status == "timeout" and result.calling_key:
                self.hung.add(result.calling_key)
            results.append(result)
            for path in (run.result_path, run.output_path):
                Path(path).unlink(missing_ok=True)
        return results

    def _readline(self, proc: subprocess.Popen[str], deadline: float) -> str | None:
        """The worker's next line, or None if none came by ``deadline``.

        Read from the descriptor into a buffer of this side's own: a buffered reader may take
        two lines in at once (runs that end at once), and waiting on the descriptor for the
        second line, already read, would wait until the deadline.
        """
        assert proc.stdout is not None
        while b"\n" not in self._unread:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    raise RuntimeError("the worker exited")
                self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        return line.decode("utf-8", "replace") + "\n"

    def close(self) -> None:
        """Stop the worker and everything it started, even processes that left its group.

        Closing its input lets the worker sweep what its runs left and leave; then its process
        group is killed, and with it, where the worker is pid 1 of its own pid namespace,
        every process in that namespace.
        """
        if self._proc is not None:
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            _kill_group(self._proc.pid)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        kill_marked(self.token)
        cpu_share.release(self._cpu_group)
        self._cpu_group = None

    def let_go(self) -> None:
        """In a fork of the process that started the worker: close this copy of its pipes.

        The worker reads its requests until its input ends; a fork that kept a copy of that
        pipe's other end would hold the worker alive until the fork ends.
        """
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None:
                    pipe.close()  # nothing is buffered: every request is flushed when written

    def cleanup(self) -> None:
        """Stop the worker and delete its files."""
        self.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self._lock >= 0:  # cleanup may be called twice: never close a descriptor number reused since
            leftovers.release(self._lock)
            self._lock = -1
        if self.uid_lease is not None:
            self.uid_lease.release()
        self.uid_lease = None
        if self.shares_loopback:
            loopback.end_turn()
            self.shares_loopback = False


def marked_processes(token: str) -> list[int]:
    """Pids of processes whose environment carries ``token`` (started for one Sandbox)."""
    wanted = f"{TOKEN_VARIABLE}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if wanted in handle.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_marked(token: str) -> None:
    """Kill every process still carrying ``token``; a few rounds catch ones forked meanwhile."""
    for _ in range(5):
        pids = marked_processes(token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


def _exit_code(proc: subprocess.Popen[str], seconds: float = 1.0) -> int | None:
    """The worker's exit code once it has ended (within ``seconds``), else None."""
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_result(run: RunOrder, exit_info: Exit, wall: float) -> RunResult:
    """Turn a child's result file and exit code into a ``RunResult``."""
    try:
        with open(run.result_path, "rb") as handle:
            raw = handle.read(MAX_RESULT_BYTES)
    except OSError as error:  # the child opens it before anything else: it could not be made
        return RunResult("grader", detail=f"the run's result file could not be read ({error.strerror or error})")
    found = messages.read_result(raw)
    output = _read_output(run.output_path)
    short = _short_of_space(Path(run.result_path).parent)
    if not raw.strip():
        return RunResult("grader", detail="the run wrote nothing to its result file" + (f" ({short})" if short else ""))
    if short and (found.ending is None or found.ending.kind == ""):
        return RunResult("grader", detail=f"the run ended without its last result line ({short})")
    result = _classify(found.ending, exit_info.code, exit_info.timed_out, wall, output)
    if exit_info.over_folder_cap and result.status != "done":
        cap = f"{messages.LEARNER_FOLDER_CAP_BYTES // 2**20} MiB"
        result = RunResult("crashed", [], None, None, f"it wrote more than {cap} in its folder and was stopped", output)
    result.calling, result.calling_key = found.calling, found.calling_key
    return result


def _classify(final: Ending | None, code: int | None, timed_out: bool, wall: float, output: str) -> RunResult:
    """Decide how a run ended from its last message and its exit code."""
    if final is not None and final.kind == "done":
        return RunResult("done", final.outcomes, None, None, "", output, final.output_dropped)
    if final is not None and final.kind == "budget":
        return RunResult("budget", [], None, None, final.detail[:300], output)
    if timed_out:
        return RunResult("timeout", [], None, None, f"it did not return within {wall:g} seconds", output)
    if final is not None and final.kind == "crash":
        return RunResult("crashed", [], None, None, final.detail, output)
    if code is None:
        return RunResult("crashed", [], None, None, "the worker process was lost", output)
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = {"SIGKILL": " (often: it used too much memory)", "SIGXCPU": " (it used too much CPU time)"}.get(name, "")
        return RunResult("crashed", [], None, None, f"the process was killed by {name}{why}", output)
    return RunResult(
        "crashed", [], None, None, f"the process exited with code {code} before finishing (os._exit or a crash)", output
    )


def _short_of_space(folder: Path) -> str:
    """Why ``folder``'s file system cannot take a run's results ("" when it can)."""
    try:
        found = os.statvfs(folder)
    except OSError as error:
        return f"its folder cannot be examined: {error.strerror or error}"
    if found.f_bavail * found.f_frsize < MIN_FREE_BYTES:
        return "no space left on the grader's temporary file system"
    if found.f_files and not found.f_favail:
        return "no free inodes left on the grader's temporary file system"
    return ""


def _read_output(path: str, limit: int = 64 * 1024) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""
