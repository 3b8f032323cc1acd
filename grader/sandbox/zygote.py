"""The worker process: imports boto3 once, then forks one child per run of learner code.

Started by ``grader.sandbox.runner`` with pipes on stdin/stdout and a plan (``runner.isolation``).
Learner code never runs in this process, only in the forked children, so each run starts from
a clean, already warm interpreter in a few milliseconds instead of the ~0.4 s a fresh Python
with boto3 costs.

Once, at start: the namespaces of the plan. A pid namespace whose pid 1 is this worker (when
it ends, the kernel kills every process in it); as root where other users cannot reach a
folder learner code needs (the interpreter, the venv and its packages, the exercises copy,
the learner's folder), a mount namespace in which a tmpfs covers each folder above them that
they cannot enter and only the needed folders are bound back; a user namespace where the
others need one.

Each child: puts itself in its own process group, opens its result and output files (in the
worker's folder, which it can reach through these descriptors only), applies resource
limits, enters its own Landlock domain (files beneath the interpreter, the packages and the
exercises copy, writes in the learner's folder only, TCP to the embedded Kinesis only, no
signal, ptrace or abstract socket reaching outside), drops to ``nobody`` when the grader is
root, installs the simulated clock, runs its steps and writes JSON lines to its result file.
It always leaves with ``os._exit`` so no learner thread or exit handler can keep it alive. If
the sandbox the plan promises cannot be made, the child refuses to run learner code.

The worker keeps each run's wall-clock limit itself, then kills whatever the runs left (as
pid 1: everything else in its namespace; otherwise: its children, since it is their child
subreaper) before it reports, and empties the learner's temporary folder.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import pwd
import resource
import select
import shutil
import signal
import stat
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # started as a script with -I: find the grader package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import boto3  # noqa: E402,F401 - imported once here so every child has it warm
import botocore.httpsession  # noqa: E402,F401

# landlock too is imported now: a tmpfs may cover the grader's own folder once the namespaces are made
from grader.sandbox import landlock, virtual_time  # noqa: E402
from grader.sandbox import steps as steps_module  # noqa: E402

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


def _unprivileged_ids(plan: dict[str, Any]) -> tuple[int, int] | None:
    """The uid and gid children drop to (the grader runs as root), or None to stay."""
    if not plan.get("drop_uid"):
        return None
    entry = pwd.getpwnam(plan.get("user") or UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def _drop_privileges(ids: tuple[int, int] | None) -> None:
    """Run learner code as an unprivileged user: it cannot write the grader's files or signal it."""
    if ids is None:
        return
    os.setgroups([])
    os.setresgid(ids[1], ids[1], ids[1])
    os.setresuid(ids[0], ids[0], ids[0])
    if os.geteuid() == 0 or os.getuid() == 0:
        raise OSError("the uid could not be dropped")


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x20000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 2, 4, 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _fail(what: str) -> None:
    error = ctypes.get_errno()
    raise OSError(error, f"{what}: {os.strerror(error)}")


def _write_maps(pid: int, root: bool) -> None:
    """Map the new user namespace's ids (written from the parent namespace, as the kernel asks)."""
    if root:
        ids = "0 0 1\n65534 65534 1\n"  # root and nobody, as they are outside
        maps = {"uid_map": ids, "gid_map": ids}
    else:
        Path(f"/proc/{pid}/setgroups").write_text("deny")
        maps = {"uid_map": f"{os.getuid()} {os.getuid()} 1\n", "gid_map": f"{os.getgid()} {os.getgid()} 1\n"}
    for name, text in maps.items():
        Path(f"/proc/{pid}/{name}").write_text(text)


def _unshare(plan: dict[str, Any]) -> None:
    """Enter the namespaces of the plan: user (where privilege is missing), mount, pid."""
    flags = (CLONE_NEWNS if plan.get("mount") else 0) | (CLONE_NEWPID if plan.get("pid") else 0)
    if not flags:
        return
    if not plan.get("user_ns"):
        if _libc.unshare(flags) != 0:
            _fail("unshare")
        return
    ready, go = os.pipe()
    done_r, done_w = os.pipe()
    helper = os.fork()
    if helper == 0:  # stays in the parent namespace, writes the maps, leaves
        code = 1
        try:
            os.close(go)
            if os.read(ready, 1) == b"x":
                _write_maps(os.getppid(), os.geteuid() == 0)
                code = 0
        finally:
            os.write(done_w, bytes([code]))
            _os_exit(code)
    os.close(ready)
    entered = _libc.unshare(CLONE_NEWUSER | flags) == 0
    os.write(go, b"x" if entered else b"-")
    answer = os.read(done_r, 1)
    os.waitpid(helper, 0)
    if not entered:
        _fail("unshare with a user namespace")
    if answer != b"\0":
        raise OSError("the user namespace's id maps could not be written")
    if os.geteuid() == 0:
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)


def _others_can_enter(path: str) -> bool:
    return bool(os.stat(path).st_mode & 0o001)


def _first_closed(path: str) -> str | None:
    """The topmost folder above ``path`` that other users cannot enter, or None."""
    parts = Path(path).parts
    for depth in range(2, len(parts)):
        folder = str(Path(*parts[:depth]))
        if not _others_can_enter(folder):
            return folder
    return None


def _reveal(paths: list[str], own: str) -> None:
    """In this mount namespace, let other users reach ``paths`` below folders they cannot enter.

    Examples: Python under /root (mode 0700); a checkout, its venv or a temporary folder
    beneath a private folder. A tmpfs (mode 0755) covers the topmost such folder, and only
    ``paths`` are bound back in it, at the same place: nothing else of that folder is visible,
    and every path stays what it was. A path is held open before anything is covered, so it
    can be bound back even from beneath a tmpfs; where a closed folder lies inside a path
    bound back, it is covered in turn (shallowest first).
    """
    del own  # nothing is staged in the worker's folder: it may lie beneath a covered folder too
    os.umask(0o022)
    if _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        _fail("make mounts private")
    wanted = sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})
    held = {path: os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for path in wanted}
    try:
        for _ in range(len(wanted) * 8 + 1):
            closed = {folder for folder in map(_first_closed, wanted) if folder}
            if not closed:
                break
            cover = min(closed, key=lambda folder: (len(Path(folder).parts), folder))
            if _libc.mount(b"tmpfs", cover.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755,size=64k") != 0:
                _fail(f"cover {cover}")
            for path in wanted:  # outer paths first: an inner one is bound again over its outer's copy
                if path.startswith(cover.rstrip("/") + "/"):
                    os.makedirs(path, exist_ok=True)
                    if (
                        _libc.mount(f"/proc/self/fd/{held[path]}".encode(), path.encode(), None, MS_BIND | MS_REC, None)
                        != 0
                    ):
                        _fail(f"bind {path}")
    finally:
        for handle in held.values():
            os.close(handle)
    for path in wanted:
        if _first_closed(path) or not _others_can_enter(path):
            raise OSError(f"{path} stays out of reach of the sandbox's user")


def _pid_namespace_init() -> None:
    """Become pid 1 of the new pid namespace: the process entering it stays behind and waits.

    When pid 1 of a namespace ends, the kernel kills every process in it, so nothing learner
    code starts can outlive the worker, whatever it does.
    """
    pid = os.fork()
    if pid != 0:
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        _, status = os.waitpid(pid, 0)
        _os_exit(max(os.waitstatus_to_exitcode(status), 0))
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _enter(plan: dict[str, Any], own: str) -> str:
    """Set up the worker's namespaces; return "" or why it failed (learner code then never runs)."""
    try:
        _unshare(plan)
        if plan.get("mount"):
            _reveal(plan.get("reveal") or [], own)
        if plan.get("pid"):
            _pid_namespace_init()
        return ""
    except OSError as error:
        return f"the sandbox could not be set up ({error})"


def _ruleset(plan: dict[str, Any], exercises: Path, learner: str) -> Any:
    """The Landlock rules of every run: read the interpreter and the exercises, write one folder,
    connect only to the embedded Kinesis."""
    port = urllib.parse.urlsplit(os.environ.get("AWS_ENDPOINT_URL", "")).port
    return landlock.Ruleset(
        read=[*plan.get("read", []), str(exercises)],
        write=[learner],
        files=[os.devnull],
        connect_ports=[port] if port else [],
    )


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


def _child(
    run: dict[str, Any],
    limits: dict[str, int],
    exercises: Path,
    ids: tuple[int, int] | None,
    bytecode: Path | None,
    ruleset: Any,
    refusal: str,
) -> None:
    """Body of one forked child; never returns."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out_fd = os.open(run["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    result_fd = os.open(run["result_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd in (devnull, out_fd):
        os.close(fd)
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
    try:
        if refusal:
            raise OSError(refusal)
        if ruleset is not None:
            ruleset.enforce()  # from here on: only the listed folders and the Kinesis port
        _drop_privileges(ids)
    except OSError as error:  # never run learner code in a weaker sandbox than the grader reported
        emit({"crash": f"the sandbox refused to run this code: {error}"[:500]})
        _os_exit(0)
    steps_module.prepare_import_path(exercises, bytecode)
    executor = steps_module.Executor(exercises, emit, set(run.get("hung", [])), limits.get("memory_bytes"))
    try:
        outcomes = executor.run(run["steps"], clock.read)
        emit({"done": outcomes, "output_dropped": output.dropped})
    except BaseException as error:  # keep the report even if describing a value blew up
        emit({"crash": f"{type(error).__name__}: {error}"[:500]})
    _os_exit(0)


def _wait_for(pids: list[int], seconds: float) -> tuple[dict[int, int], set[int]]:
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


def _empty(folder: Path, ids: tuple[int, int] | None) -> None:
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
            parsed[key] = (
                parse(ruleset_data=ruleset_data, partition_data=partition_data, **options),
                ruleset_data,
                partition_data,
            )
        return parsed[key][0]

    botocore.regions.EndpointProvider = shared


def _preload() -> None:
    """Load Kinesis's service model and endpoint rules (~150 ms) before the endpoint is known.

    The worker starts while the grader is still starting its Kinesis: this overlaps them.
    Explicit placeholder keys keep boto3 from looking for credentials anywhere.
    """
    _share_parsed_endpoint_rules()
    try:
        boto3.client(
            "kinesis",
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="preload",
            aws_secret_access_key="preload",
        ).close()
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
    plan = json.loads(os.environ.get("GRADER_SANDBOX_PLAN") or "{}")
    own = os.environ["GRADER_SANDBOX_DIR"]  # the worker's own folder: result files (learner code never sees it)
    learner = Path(plan.get("learner") or os.path.join(own, "learner"))  # the one folder learner code may write
    refusal = plan.get("refuse", "") or _enter(plan, own)
    ids = _unprivileged_ids(plan) if not refusal else None
    _become_subreaper()
    bytecode = learner / "pycache"
    scratch = learner / "tmp"
    ruleset = None
    _preload()
    for line in sys.stdin:
        request = json.loads(line)
        if "environment" in request:
            # Sent once, when the grader's Kinesis endpoint is up: the worker was started
            # earlier so that importing boto3 overlaps the grader's own start-up.
            os.environ.update({str(k): str(v) for k, v in request["environment"].items()})
            os.environ.update({"HOME": str(scratch), "TMPDIR": str(scratch)})
            _warm_up()
            if plan.get("landlock") and not refusal:
                try:
                    ruleset = _ruleset(plan, exercises, str(learner))
                except OSError as error:
                    refusal = f"the Landlock rules could not be made ({error})"
            continue
        pids = []
        for run in request["runs"]:
            pid = os.fork()
            if pid == 0:
                try:
                    _child(run, request["limits"], exercises, ids, bytecode, ruleset, refusal)
                finally:
                    _os_exit(70)
            pids.append(pid)
        _reply({"pids": pids})
        codes, late = _wait_for(pids, float(request.get("wall_seconds") or 6.0))
        _sweep_orphans()  # nothing a run started may outlive it
        _empty(scratch, ids)
        _reply({"exits": [{"pid": pid, "code": codes[pid], "timeout": pid in late} for pid in pids]})
    _sweep_orphans()


if __name__ == "__main__":
    main()
