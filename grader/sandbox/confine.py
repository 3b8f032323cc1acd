"""Carrying out the plan in the worker: its namespaces once, then each child's own confinement.

Once, at the worker's start (``enter``): the namespaces of the ``messages.Plan``. A pid
namespace whose pid 1 is the worker (when it ends, the kernel kills every process in it); as
root where other users cannot reach a folder learner code needs (the interpreter, the venv
and its packages, the exercises copy, the learner's folder), a mount namespace in which a
tmpfs covers each folder above them that they cannot enter and only the needed folders are
bound back; a user namespace where the others need one.

In each child, before any learner code runs: resource limits (``apply_limits``), its own
Landlock domain (``landlock_rules``, made once by the worker and enforced by each child), then, when
the grader is root, the drop to the sandbox's user (``drop_privileges``).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import resource
import signal
import urllib.parse
from pathlib import Path

from grader.sandbox import bridge, landlock
from grader.sandbox.messages import KINESIS_SOCKET, UNPRIVILEGED_USER, ChildLimits, Plan

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 2, 4, 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def apply_limits(limits: ChildLimits) -> None:
    """Cap memory, CPU time, file size, processes; ignore what cannot be set here."""
    wanted = {
        resource.RLIMIT_AS: limits.memory_bytes,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_FSIZE: limits.file_bytes,
        resource.RLIMIT_NPROC: limits.processes,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in wanted.items():
        if value is None:
            continue
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def unprivileged_ids(plan: Plan) -> tuple[int, int] | None:
    """The uid and gid children drop to (the grader runs as root), or None to stay."""
    if not plan.get("drop_uid"):
        return None
    if plan.get("uid"):  # the worker's own uid (``uids.lease``)
        return plan["uid"], plan["uid"]
    entry = pwd.getpwnam(plan.get("user") or UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def drop_privileges(ids: tuple[int, int] | None) -> None:
    """Run learner code as an unprivileged user: it cannot write the grader's files or signal it."""
    if ids is None:
        return
    os.setgroups([])
    os.setresgid(ids[1], ids[1], ids[1])
    os.setresuid(ids[0], ids[0], ids[0])
    if os.geteuid() == 0 or os.getuid() == 0:
        raise OSError("the uid could not be dropped")


def _fail(what: str) -> None:
    error = ctypes.get_errno()
    raise OSError(error, f"{what}: {os.strerror(error)}")


def _write_maps(pid: int, root: bool, learner_id: int | None) -> None:
    """Map the new user namespace's ids (written from the parent namespace, as the kernel asks)."""
    if root:
        ids = "0 0 1\n65534 65534 1\n"  # root and nobody, as they are outside
        if learner_id:
            ids += f"{learner_id} {learner_id} 1\n"  # and the worker's own uid for learner code
        maps = {"uid_map": ids, "gid_map": ids}
    else:
        Path(f"/proc/{pid}/setgroups").write_text("deny")
        maps = {"uid_map": f"{os.getuid()} {os.getuid()} 1\n", "gid_map": f"{os.getgid()} {os.getgid()} 1\n"}
    for name, text in maps.items():
        Path(f"/proc/{pid}/{name}").write_text(text)


def _unshare(plan: Plan) -> None:
    """Enter the namespaces of the plan: user (where privilege is missing), mount, pid."""
    mount = plan.get("mount") or plan.get("scratch_tmpfs")
    flags = (CLONE_NEWNS if mount else 0) | (CLONE_NEWPID if plan.get("pid") else 0)
    flags |= CLONE_NEWNET if plan.get("network") else 0
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
                _write_maps(os.getppid(), os.geteuid() == 0, plan.get("uid"))
                code = 0
        finally:
            os.write(done_w, bytes([code]))
            os._exit(code)
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


def _pid_namespace_init(own: str, network: bool) -> None:
    """Become pid 1 of the new pid namespace: the process entering it stays behind and waits
    (and, with a network namespace, carries connections to the embedded Kinesis: ``bridge``).

    When pid 1 of a namespace ends, the kernel kills every process in it, so nothing learner
    code starts can outlive the worker, whatever it does.
    """
    port_source, port_sink = os.pipe() if network else (-1, -1)
    pid = os.fork()
    if pid != 0:
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        if network:
            os.close(port_sink)
            bridge.run(port_source, os.path.join(own, KINESIS_SOCKET), pid)
        _, status = os.waitpid(pid, 0)
        os._exit(max(os.waitstatus_to_exitcode(status), 0))
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if network:
        os.close(port_source)
        _BRIDGE_PORT.append(port_sink)


_BRIDGE_PORT: list[int] = []  # in pid 1 of the worker: the pipe on which the bridge waits for its port


def open_bridge(port: int) -> None:
    """Tell the bridge which port learner code connects to (the endpoint's), once it is known."""
    if _BRIDGE_PORT:
        sink = _BRIDGE_PORT.pop()
        os.write(sink, f"{port}\n".encode())
        os.close(sink)


def enter(plan: Plan, own: str) -> str:
    """Set up the worker's namespaces; return "" or why it failed (learner code then never runs)."""
    try:
        _unshare(plan)
        if plan.get("mount"):
            _reveal(plan.get("reveal") or [], own)
        elif plan.get("scratch_tmpfs") and _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            _fail("make mounts private")  # the learner's tmpfs must stay in this namespace
        if plan.get("network"):
            bridge.loopback_up()
        if plan.get("pid"):
            _pid_namespace_init(own, bool(plan.get("network")))
        return ""
    except OSError as error:
        return f"the sandbox could not be set up ({error})"


def landlock_rules(plan: Plan, exercises: Path, learner: str) -> landlock.Ruleset:
    """The Landlock rules of every run: read the interpreter and the exercises (their compiled
    modules included), write one folder, connect only to the embedded Kinesis."""
    port = urllib.parse.urlsplit(os.environ.get("AWS_ENDPOINT_URL", "")).port
    return landlock.Ruleset(
        read=[*plan.get("read", []), str(exercises)],
        write=[learner],
        files=[os.devnull],
        connect_ports=[port] if port else [],
    )
