"""The trusted side of the sandbox: probes the isolation, starts the worker, runs scripts in it.

This is the boundary between grading code and learner code. ``isolation()`` decides once per
process what the worker sets up (Landlock, a uid of its own, namespaces) and whether hidden
tests may run. Everything that comes back from the worker is data to check, never code to
trust: results are read, with a size cap, from files only the trusted side and each run's own
descriptors reach; a worker that does not report in time is killed with everything it started.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ZYGOTE = Path(__file__).with_name("zygote.py")
MAX_RESULT_BYTES = 4 * 1024 * 1024
TOKEN_VARIABLE = "GRADER_SANDBOX_TOKEN"  # marks every process started for one Sandbox
UNPRIVILEGED_USER = "nobody"
WORKER_START_SECONDS = 60.0  # a new worker imports boto3 and warms up before it forks the first runs
WORKER_GRACE_SECONDS = 15.0  # after a run's wall-clock limit, before the worker itself is stopped


@dataclass
class Limits:
    """What one run of learner code may use."""

    wall_seconds: float = 6.0  # the reference's slowest run takes well under a second
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 30
    file_bytes: int = 8 * 1024 * 1024
    processes: int = 256
    output_chars: int = 20_000

    def for_child(self) -> dict[str, int]:
        """The limits the child applies to itself."""
        return {
            "memory_bytes": self.memory_bytes,
            "cpu_seconds": self.cpu_seconds,
            "file_bytes": self.file_bytes,
            "processes": self.processes,
            "output_chars": self.output_chars,
        }


@dataclass
class RunResult:
    """What happened to one script."""

    status: str  # "done", "timeout", "budget", "crashed"
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    calling: str | None = None  # label of the step running when it stopped
    calling_key: str | None = None  # its method, e.g. "EventConsumer.consume"
    detail: str = ""
    output: str = ""
    output_dropped: int = 0
    wall_seconds: float = 0.0


class Sandbox:
    """A worker process for one copy of the learner's exercises."""

    def __init__(
        self, exercises: Path, env: dict[str, str] | None = None, limits: Limits | None = None, token: str = ""
    ) -> None:
        self.exercises = exercises
        self.env = env
        self.limits = limits or Limits()
        self.hung: set[str] = set()  # methods that timed out once: later calls fail at once
        self.workdir = Path(tempfile.mkdtemp(prefix="grader-worker-"))
        self.token = token or secrets.token_hex(16)  # given by a parent that must be able to clean up too
        self.isolation = isolation()
        self.learner = self.workdir / "learner"  # the one folder learner code may write
        for folder in (self.learner, self.learner / "tmp", self.learner / "pycache"):
            folder.mkdir(mode=0o700)
        self.plan = dict(self.isolation["plan"], learner=str(self.learner))
        if self.plan.get("drop_uid") and not self.plan.get("refuse"):
            entry = pwd.getpwnam(self.plan["user"])
            self.workdir.chmod(0o711)  # others may pass through to learner/, and see nothing else here
            for folder in (self.learner, self.learner / "tmp", self.learner / "pycache"):
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            why = _reveal_own_folders(self.plan, exercises, self.workdir)
            if why:
                self.plan["refuse"] = why
        self._proc: subprocess.Popen[str] | None = None
        self._env_sent = False
        self._counter = 0
        # Called after every batch of runs, once all their processes are gone: e.g. for the
        # embedded Kinesis to drop what those runs left queued.
        self.after_runs: list[Any] = []

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
        proc.stdin.write(json.dumps({"environment": self.env}) + "\n")
        proc.stdin.flush()
        self._env_sent = True

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.learner / "tmp"),
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0",
                TOKEN_VARIABLE: self.token,
                "GRADER_SANDBOX_DIR": str(self.workdir),
                "GRADER_SANDBOX_PLAN": json.dumps(self.plan),
                "TMPDIR": str(self.learner / "tmp"),
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
            self._env_sent = False
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
        proc = self._start()
        wall = wall_seconds or self.limits.wall_seconds
        runs = []
        for steps in scripts:
            self._counter += 1
            runs.append(
                {
                    "steps": steps,
                    "result_path": str(self.workdir / f"run-{self._counter}.jsonl"),
                    "output_path": str(self.workdir / f"run-{self._counter}.out"),
                    "hung": sorted(self.hung),
                    **budgets,
                }
            )
        started = time.monotonic()
        exits: list[dict[str, Any]] = []
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps({"runs": runs, "limits": self.limits.for_child(), "wall_seconds": wall}) + "\n")
            proc.stdin.flush()
            pids = json.loads(self._readline(proc, time.monotonic() + WORKER_START_SECONDS) or "null")["pids"]
            line = self._readline(proc, time.monotonic() + wall + WORKER_GRACE_SECONDS)  # the runs are forked now
            if line is None:
                raise RuntimeError("the worker did not report after its runs' time was up")
            exits = list(json.loads(line)["exits"])
            if len(exits) != len(pids) or len(exits) != len(runs):
                raise ValueError("the worker reported another number of runs")
        except (OSError, ValueError, KeyError, RuntimeError, TypeError):
            self.close()  # the worker itself is broken: start a new one next time
            exits = [{"code": None, "timeout": False} for _ in runs]
        elapsed = time.monotonic() - started
        for hook in self.after_runs:
            hook()
        results = []
        for run, exit_info in zip(runs, exits):
            code = exit_info.get("code") if isinstance(exit_info, dict) else None
            timed_out = bool(exit_info.get("timeout")) if isinstance(exit_info, dict) else True
            result = _read_result(run, code if isinstance(code, int) else None, timed_out, wall)
            result.wall_seconds = elapsed
            if result.status == "timeout" and result.calling_key:
                self.hung.add(result.calling_key)
            results.append(result)
            for key in ("result_path", "output_path"):
                Path(run[key]).unlink(missing_ok=True)
        return results

    def _readline(self, proc: subprocess.Popen[str], deadline: float) -> str | None:
        assert proc.stdout is not None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([proc.stdout], [], [], remaining)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError("the worker exited")
                return line

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

    def cleanup(self) -> None:
        """Stop the worker and delete its files."""
        self.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


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


_ISOLATION: dict[str, Any] = {}
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x20000, 0x10000000, 0x20000000
SYSTEM_READ = ["/usr", "/lib", "/lib64", "/bin", "/etc/ssl", "/etc/localtime", "/etc/mime.types"]


def isolation() -> dict[str, Any]:
    """The strongest isolation this machine allows for learner code, probed once per process.

    Returns what results.json shows as ``sandbox``: ``isolation`` (a short description),
    ``hidden_tests_allowed`` and its ``reason``, and ``plan``, what the worker sets up:
    - Landlock (no privilege needed): files only beneath the interpreter, the packages and the
      exercises copy, writes only in one folder, TCP only to the embedded Kinesis, no signal
      or ptrace reaching outside;
    - as root, a uid of its own (``nobody``); where that user cannot reach the interpreter
      (Python under /root) or the venv (a checkout in a private folder), a mount namespace
      shows it just those folders (``Sandbox`` adds the exercises copy and its own folder
      where they lie beneath a private folder too);
    - a pid namespace whose pid 1 is the worker, so nothing outlives it;
    - a user namespace only where the other namespaces need one (no CAP_SYS_ADMIN).
    """
    if not _ISOLATION:
        _ISOLATION.update(_probe())
    return json.loads(json.dumps(_ISOLATION))


def _probe() -> dict[str, Any]:
    from grader.sandbox import landlock

    abi = 0 if os.environ.get("GRADER_SANDBOX_NO_LANDLOCK") == "1" else landlock.abi()
    root = os.geteuid() == 0
    namespaces = _namespaces_allowed()  # "direct", "user" or ""
    read = sorted({*_interpreter_paths(), *SYSTEM_READ})
    plan: dict[str, Any] = {
        "landlock": abi >= 1,
        "read": read,
        "user": "",
        "drop_uid": False,
        "mount": False,
        "pid": bool(namespaces),
        "user_ns": namespaces == "user",
        "reveal": [],
    }
    parts = [f"Landlock ABI {abi}" if abi else "no Landlock"]
    reason = ""
    if root:
        hidden_from_others = [path for path in _interpreter_paths() if not _open_to_others(Path(path))]
        if _user_exists(UNPRIVILEGED_USER) and (not hidden_from_others or namespaces):
            plan.update(
                drop_uid=True, user=UNPRIVILEGED_USER, mount=bool(hidden_from_others), reveal=hidden_from_others
            )
            parts.append(f"uid {UNPRIVILEGED_USER}")
        else:
            why = (
                "the interpreter is in a folder other users cannot enter and no namespace can be made"
                if hidden_from_others
                else f"there is no user {UNPRIVILEGED_USER}"
            )
            plan["refuse"] = f"learner code never runs as root, and it cannot drop to another user here: {why}"
            parts.append("refused: would run as root")
            reason = plan["refuse"]
    else:
        parts.append(f"uid {os.geteuid()} (the grader's own)")
    if plan["pid"]:
        used = (["user"] if plan["user_ns"] else []) + (["mount"] if plan["mount"] else []) + ["pid"]
        parts.append("+".join(used) + " namespaces")
    secrets_root = ZYGOTE.resolve().parents[2]  # the grader's repository: hidden tests, solutions, .git
    exposed = [path for path in read if Path(path) == secrets_root or Path(path) in secrets_root.parents]
    if not reason and exposed:
        reason = f"the grader's repository lies beneath {exposed[0]}, which learner code must be able to read"
    if not reason and abi < 1:
        reason = "without Landlock, learner code could read the grader's files (hidden tests, .git)"
    elif not reason and not root and abi < 6:
        reason = (
            f"Landlock ABI {abi} cannot stop learner code, running as the grader's user, from signalling the grader"
        )
    return {
        "isolation": ", ".join(parts),
        "landlock_abi": abi,
        "user": plan["user"] or str(os.geteuid()),
        "hidden_tests_allowed": not reason,
        "reason": reason,
        "plan": plan,
    }


def _namespaces_allowed() -> str:
    """Whether a forked probe can make pid and mount namespaces: "direct", "user" (only inside a new
    user namespace) or ""."""
    if os.environ.get("GRADER_SANDBOX_NO_NAMESPACES") == "1":
        return ""
    import ctypes

    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNS | CLONE_NEWPID) == 0:
                code = 0
            elif libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) == 0:
                code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return {0: "direct", 1: "user"}.get(os.waitstatus_to_exitcode(status), "")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _reveal_own_folders(plan: dict[str, Any], exercises: Path, workdir: Path) -> str:
    """Make the exercises copy and the worker's folder reachable by the sandbox's user; return
    "" or why learner code cannot run.

    Both are opened to others (the grader made them). Where a folder above them that the
    grader did not make is closed to others (a temporary folder beneath /tmp/pytest-of-root, a
    checkout in a private folder), the worker's mount namespace binds them back below a tmpfs,
    as it does for the interpreter; without a namespace, learner code is not run.
    """
    if not _open_exercises(exercises):
        return "the copy of the exercises could not be opened to the sandbox's user"
    passable = [path.resolve() for path in (exercises, workdir)]  # workdir: entered, never listed (mode 0711)
    blocked = [str(path) for path in passable if not all(_others_may(f, stat.S_IXOTH) for f in [path, *path.parents])]
    if not blocked:
        return ""
    if not plan.get("pid"):  # no namespace can be made here (pid is planned wherever one can)
        return (
            "the copy of the exercises or the worker's folder lies beneath a folder other users cannot enter, "
            "and no namespace can be made to show them"
        )
    plan.update(mount=True, reveal=sorted({*plan.get("reveal", []), *blocked}))
    return ""


def _open_exercises(exercises: Path) -> bool:
    """Let the sandbox's user read the exercises copy (it lives in a private temporary folder:
    open it, and the folders above it that the grader made, never anything outside).

    Whether the folders above the temporary folder let others through is for
    ``_reveal_own_folders`` to settle."""
    try:
        temp_root = Path(tempfile.gettempdir()).resolve()
        target = exercises.resolve()
        if temp_root not in target.parents:
            return False
        for item in [target, *target.iterdir()]:
            extra = stat.S_IROTH | (stat.S_IXOTH if item.is_dir() else 0)
            item.chmod(stat.S_IMODE(item.stat().st_mode) | extra)
        for folder in target.parents:
            if folder == temp_root:
                break
            folder.chmod(stat.S_IMODE(folder.stat().st_mode) | stat.S_IXOTH)
        return _open_to_others(target, below=True)
    except OSError:
        return False


def _interpreter_paths() -> list[str]:
    """Folders learner code imports from: the interpreter's prefix, the venv, site-packages."""
    import sysconfig

    paths = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update({sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))})
    paths.update(p for p in sys.path if p.endswith("-packages"))
    return sorted(os.path.realpath(p) for p in paths if p and os.path.isdir(p) and os.path.realpath(p) != "/")


def _open_to_others(path: Path, below: bool = False) -> bool:
    """Whether a user other than the owner can reach and list ``path``; with ``below``, whether
    it can once the folders above it are made passable (``path`` itself and the folders inside
    it, up to the temporary folder that holds it)."""
    path = path.resolve()
    if below:
        temp_root = Path(tempfile.gettempdir()).resolve()
        folders = [path, *(p for p in path.parents if temp_root in p.parents)]
    else:
        folders = [path, *path.parents]
    return all(_others_may(f, stat.S_IXOTH) for f in folders) and _others_may(path, stat.S_IROTH)


def _others_may(path: Path, bit: int) -> bool:
    return bool(path.stat().st_mode & bit)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_result(run: dict[str, Any], code: int | None, timed_out: bool, wall: float) -> RunResult:
    """Turn a child's result file and exit code into a ``RunResult``."""
    calling = calling_key = None
    final: dict[str, Any] | None = None
    try:
        with open(run["result_path"], "rb") as handle:
            raw = handle.read(MAX_RESULT_BYTES)
    except OSError:
        raw = b""
    for line in raw.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if "calling" in message:
            calling = str(message["calling"])
            calling_key = str(message.get("key") or "")
        if "done" in message or "budget" in message or "crash" in message:
            final = message
    output = _read_output(run["output_path"])
    result = _classify(final, code, timed_out, wall, output)
    result.calling, result.calling_key = calling, calling_key
    return result


def _classify(final: dict[str, Any] | None, code: int | None, timed_out: bool, wall: float, output: str) -> RunResult:
    """Decide how a run ended from its last message and its exit code."""
    if final is not None and "done" in final and isinstance(final["done"], list):
        outcomes = [o for o in final["done"] if isinstance(o, dict)]
        return RunResult("done", outcomes, None, None, "", output, int(final.get("output_dropped") or 0))
    if final is not None and "budget" in final:
        return RunResult("budget", [], None, None, str(final["budget"])[:300], output)
    if timed_out:
        return RunResult("timeout", [], None, None, f"it did not return within {wall:g} seconds", output)
    if final is not None and "crash" in final:
        return RunResult("crashed", [], None, None, str(final["crash"]), output)
    if code is None:
        return RunResult("crashed", [], None, None, "the worker process was lost", output)
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = {"SIGKILL": " (often: it used too much memory)", "SIGXCPU": " (it used too much CPU time)"}.get(name, "")
        return RunResult("crashed", [], None, None, f"the process was killed by {name}{why}", output)
    return RunResult(
        "crashed", [], None, None, f"the process exited with code {code} before finishing (os._exit or a crash)", output
    )


def _read_output(path: str, limit: int = 64 * 1024) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""
