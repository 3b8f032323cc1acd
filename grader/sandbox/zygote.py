"""The worker process: imports boto3 once, then forks one child per run of learner code.

Started by ``grader.sandbox.runner`` with pipes on stdin/stdout. Learner code never runs in
this process, only in the forked children, so each run starts from a clean, already warm
interpreter in a few milliseconds instead of the ~0.4 s a fresh Python with boto3 costs.

Each child: puts itself in its own process group, applies resource limits, drops to an
unprivileged user when the grader runs as root, sends its file descriptors 1 and 2 to an
output file, keeps Python-level output bounded, installs the
simulated clock, runs its steps and writes JSON lines to its result file. It always leaves
with ``os._exit`` so no learner thread or exit handler can keep it alive. The worker is a
child subreaper: whatever a run leaves behind, even after ``setsid``, is reparented to it
and killed before the run's result is reported.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import pwd
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # started as a script with -I: find the grader package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import boto3  # noqa: E402,F401 - imported once here so every child has it warm
import botocore.httpsession  # noqa: E402,F401

from grader.sandbox import steps as steps_module  # noqa: E402
from grader.sandbox import virtual_time  # noqa: E402

# Kept before any learner code can replace them.
_os_exit, _os_write, _json_dumps = os._exit, os.write, json.dumps

PR_SET_CHILD_SUBREAPER = 36
UNPRIVILEGED_USER = "nobody"


class BoundedOutput:
    """A text stream that writes the first ``limit`` characters to a descriptor, then counts."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.room = limit
        self.dropped = 0
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        text = str(text)
        kept, extra = text[: self.room], len(text) - max(self.room, 0)
        if kept:
            try:
                _os_write(self.fd, kept.encode("utf-8", "replace"))
            except OSError:
                pass
            self.room -= len(kept)
        if extra > 0:
            self.dropped += extra
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd

    def writable(self) -> bool:
        return True


def _apply_limits(limits: dict[str, int]) -> None:
    """Cap memory, CPU time, file size, processes; ignore what cannot be set here."""
    wanted = {
        resource.RLIMIT_AS: limits.get("memory_bytes"),
        resource.RLIMIT_CPU: limits.get("cpu_seconds"),
        resource.RLIMIT_FSIZE: limits.get("file_bytes"),
        resource.RLIMIT_NPROC: limits.get("processes"),
        resource.RLIMIT_CORE: 0,
    }
    for which, value in wanted.items():
        if value is None:
            continue
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def _unprivileged_ids() -> tuple[int, int] | None:
    """The uid and gid children drop to when the worker runs as root, or None to stay."""
    if os.geteuid() != 0 or os.environ.get("GRADER_SANDBOX_USER") != UNPRIVILEGED_USER:
        return None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _drop_privileges(ids: tuple[int, int] | None) -> None:
    """Run learner code as an unprivileged user: it cannot write the grader's files or signal it."""
    if ids is None:
        return
    os.setgroups([])
    os.setgid(ids[1])
    os.setuid(ids[0])


CLONE_NEWNS, MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20000, 1, 32, 4096, 16384, 1 << 18
WRITABLE_TREES = ("/dev",)  # device files such as /dev/null and /dev/shm
_ROOT = Path(__file__).resolve().parents[2]
SECRET_FOLDERS = (_ROOT / "grader" / "hidden", _ROOT / "solutions")


def _private_filesystem(writable: str, read_only: bool) -> bool:
    """As root: hide the instructor's files and, with ``read_only`` (no user to drop to), see
    every file system read-only except ``writable``.

    ``writable`` is the sandbox's own folder (also HOME and TMPDIR of learner code). The
    hidden tests, the answer key and the reference solution are covered by empty folders,
    so learner code cannot print them into its output (which the report shows).

    A private mount namespace of the worker, so nothing changes outside it. Best effort:
    where the kernel refuses (no CAP_SYS_ADMIN), the worker runs on as it is.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNS) != 0:
            return False
        libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
        keep = writable.encode()
        if read_only and libc.mount(keep, keep, None, MS_BIND | MS_REC, None) != 0:
            return False
        with open("/proc/self/mountinfo", "rb") as handle:
            points = [line.split()[4].decode("unicode_escape").encode("latin-1") for line in handle if line.strip()]
        for point in points if read_only else []:
            text = point.decode("utf-8", "replace")
            if text == writable or text.startswith(writable.rstrip("/") + "/") or text.startswith(WRITABLE_TREES):
                continue
            libc.mount(b"none", point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, None)
        for secret in SECRET_FOLDERS:
            if secret.is_dir():
                libc.mount(b"none", str(secret).encode(), b"tmpfs", MS_RDONLY, b"size=4k")
        return True
    except (OSError, AttributeError, ValueError, IndexError):
        return False


def _become_subreaper() -> bool:
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


def _sweep_orphans() -> None:
    """Kill and reap every process left over from the runs (they were reparented here)."""
    for _ in range(200):
        while True:  # reap what has already ended
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        left = _children()
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)


def _child(run: dict[str, Any], limits: dict[str, int], exercises: Path, ids: tuple[int, int] | None, bytecode: Path | None) -> None:
    """Body of one forked child; never returns."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out_fd = os.open(run["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    result_fd = os.open(run["result_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over-long writes fail instead of killing

    def emit(message: dict[str, Any]) -> None:
        try:
            _os_write(result_fd, (_json_dumps(message) + "\n").encode())
        except (OSError, TypeError, ValueError):
            pass

    output = BoundedOutput(1, limits.get("output_chars", 20_000))
    sys.stdout = sys.stderr = output

    def over_budget(reason: str) -> None:
        emit({"budget": reason, "output_dropped": output.dropped})
        _os_exit(0)

    clock = virtual_time.VirtualClock(epoch=time.time(), on_budget=over_budget)
    clock.seconds_budget = run.get("seconds_budget", 120.0)
    clock.http_budget = run.get("http_budget", 3000)
    virtual_time.install(clock)
    virtual_time.count_http_calls(clock)
    _apply_limits(limits)
    _drop_privileges(ids)
    steps_module.prepare_import_path(exercises, bytecode)
    executor = steps_module.Executor(exercises, emit, set(run.get("hung", [])), limits.get("memory_bytes"))
    try:
        outcomes = executor.run(run["steps"], clock.read)
        emit({"done": outcomes, "output_dropped": output.dropped})
    except BaseException as error:  # keep the report even if describing a value blew up
        emit({"crash": f"{type(error).__name__}: {error}"[:500]})
    _os_exit(0)


def _bytecode_folder(own: str, ids: tuple[int, int] | None) -> Path | None:
    """A folder in the worker's own space where runs cache the learner's compiled modules."""
    try:
        folder = Path(own) / "bytecode"
        folder.mkdir(exist_ok=True)
        if ids is not None:
            os.chown(folder, ids[0], ids[1])
        return folder
    except OSError:
        return None


def _reply(message: dict[str, Any]) -> None:
    sys.__stdout__.write(json.dumps(message) + "\n")
    sys.__stdout__.flush()


def _share_parsed_endpoint_rules() -> None:
    """Parse Kinesis's endpoint rules once for every client made in this worker and its runs.

    botocore parses a service's endpoint rule set again for each new client, about a third of
    the ~15 ms a client costs; learner code makes a client in nearly every run. The parsed
    rules are immutable and their lookups are pure, so one parse can serve every client made
    from the same loaded data (the loader caches it, so the same objects come back).
    """
    import botocore.regions

    parse = botocore.regions.EndpointProvider
    parsed: dict[tuple[int, int, str], tuple[Any, Any, Any]] = {}

    def shared(ruleset_data: Any, partition_data: Any, **options: Any) -> Any:
        key = (id(ruleset_data), id(partition_data), repr(sorted(options.items())))
        if key not in parsed:  # the data is kept too, so its id is never reused
            parsed[key] = (parse(ruleset_data=ruleset_data, partition_data=partition_data, **options), ruleset_data, partition_data)
        return parsed[key][0]

    botocore.regions.EndpointProvider = shared


def _preload() -> None:
    """Load Kinesis's service model and endpoint rules (~150 ms) before the endpoint is known.

    The worker starts while the grader is still starting its Kinesis: this overlaps them.
    Explicit placeholder keys keep boto3 from looking for credentials anywhere.
    """
    _share_parsed_endpoint_rules()
    try:
        boto3.client("kinesis", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                     aws_access_key_id="preload", aws_secret_access_key="preload").close()
    except Exception:  # noqa: BLE001 - only a warm-up: a failure costs speed, nothing else
        pass


def _warm_up() -> None:
    """Load and exercise boto3's Kinesis machinery once, so children start with it warm.

    ``_preload`` has loaded the service model already; one real call, now that the endpoint
    is known, loads what the first request of each client would otherwise load (signer,
    parsers, the connection machinery). Then the
    warm heap is frozen: the garbage collector of a child never walks it, which spares the
    child ~100 ms pauses and copy-on-write copies of every page the walk would touch.
    """
    client = boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    try:
        client.list_streams(Limit=1)
    except Exception:  # noqa: BLE001 - only a warm-up: a failure costs speed, nothing else
        pass
    client.close()
    gc.collect()
    gc.freeze()


def main() -> None:
    """Serve run requests from stdin until it closes."""
    exercises = Path(sys.argv[1]).resolve()
    ids = _unprivileged_ids()
    own = os.environ.get("TMPDIR") or os.getcwd()  # the worker's own folder, the one learner code may write
    if os.geteuid() == 0 and os.environ.get("GRADER_SANDBOX_READONLY") == "1":
        # Root: hide the instructor's files from learner code. If no user can read the
        # interpreter either (e.g. Python installed under /root), the worker and all its
        # children also see the file system read-only but for their own folder. Done once
        # here, not in every child: it costs about 10 ms.
        _private_filesystem(own, read_only=ids is None)
    _become_subreaper()
    bytecode = _bytecode_folder(own, ids)
    _preload()
    for line in sys.stdin:
        request = json.loads(line)
        if "environment" in request:
            # Sent once, when the grader's Kinesis endpoint is up: the worker was started
            # earlier so that importing boto3 overlaps the grader's own start-up.
            os.environ.update({str(k): str(v) for k, v in request["environment"].items()})
            _warm_up()
            continue
        pids = []
        for run in request["runs"]:
            pid = os.fork()
            if pid == 0:
                try:
                    _child(run, request["limits"], exercises, ids, bytecode)
                finally:
                    _os_exit(70)
            pids.append(pid)
        _reply({"pids": pids})
        exits = []
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            exits.append(
                {
                    "pid": pid,
                    "code": os.waitstatus_to_exitcode(status),
                }
            )
        _sweep_orphans()  # nothing a run started may outlive it
        _reply({"exits": exits})


if __name__ == "__main__":
    main()
