"""What isolation this machine allows learner code, probed once per process, and the plan for it.

``isolation()`` decides, on the trusted side, what the worker sets up (Landlock, a uid of its
own, namespaces: the ``messages.Plan``) and whether hidden tests may run; ``results.json``
shows it as ``sandbox``. ``reveal_own_folders`` settles, for one ``runner.Sandbox``, how the
sandbox's user reaches the exercises copy and the worker's folder. The worker carries the
plan out (``confine``).
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader import secrets
from grader.paths import ROOT
from grader.sandbox.messages import NO_LANDLOCK_VARIABLE, NO_NAMESPACES_VARIABLE, UNPRIVILEGED_USER, Plan

_ISOLATION: dict[str, Any] = {}
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
    from grader.sandbox import cpu_share, landlock, uids

    abi = 0 if os.environ.get(NO_LANDLOCK_VARIABLE) == "1" else landlock.abi()
    root = os.geteuid() == 0
    namespaces = _namespaces_allowed()  # "direct", "user" or ""
    read = sorted({*_interpreter_paths(), *SYSTEM_READ})
    plan: Plan = {
        "landlock": abi >= 1,
        "read": read,
        "user": "",
        "drop_uid": False,
        "mount": False,
        "pid": bool(namespaces),
        "user_ns": namespaces == "user",
        "reveal": [],
        "scratch_tmpfs": bool(namespaces),  # a mount namespace can be made wherever the pid one can
        "network": bool(namespaces),  # and a network namespace (the probe makes all of them)
        # Neither a network namespace nor Landlock's TCP rule keeps learner code off other
        # gradings' Kinesis, or (an ordinary user without Landlock) nothing keeps it off their
        # files: gradings take turns (``loopback``).
        "shared_loopback": (not namespaces and abi < 4) or (not root and abi < 1),
    }
    parts = [f"Landlock ABI {abi}" if abi else "no Landlock"]
    reason = ""
    if root:
        hidden_from_others = [path for path in _interpreter_paths() if not _open_to_others(Path(path))]
        if _user_exists(UNPRIVILEGED_USER) and (not hidden_from_others or namespaces):
            plan.update(
                drop_uid=True, user=UNPRIVILEGED_USER, mount=bool(hidden_from_others), reveal=hidden_from_others
            )
            parts.append("a uid of its own per worker" if uids.available() else f"uid {UNPRIVILEGED_USER}")
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
        used = (["user"] if plan["user_ns"] else []) + ["mount", "pid", "network"]
        parts.append("+".join(used) + " namespaces")
    if plan["shared_loopback"]:
        parts.append("one grading at a time (other gradings would be reachable)")
    share = cpu_share.available()
    parts.append(f"a CPU per worker ({share})" if share else "no CPU share per worker")
    exposed = [path for path in read if _exposes_secrets(Path(path))]
    if not reason and exposed:
        reason = f"learner code must be able to read {exposed[0]}, and so the grader's hidden files there"
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


def _exposes_secrets(readable: Path) -> bool:
    """Whether letting learner code read ``readable`` lets it read the grader's repository, or
    a folder of it that ``grader.secrets`` keeps from learners (a venv made inside one, say)."""
    root = ROOT.resolve()
    if readable == root or readable in root.parents:
        return True
    return readable.is_relative_to(root) and secrets.is_secret(readable.relative_to(root).as_posix())


def _namespaces_allowed() -> str:
    """Whether a forked probe can make pid and mount namespaces: "direct", "user" (only inside a new
    user namespace) or ""."""
    if os.environ.get(NO_NAMESPACES_VARIABLE) == "1":
        return ""
    import ctypes

    from grader.sandbox.confine import CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER  # what the worker tries

    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) == 0:
                code = 0
            elif libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) == 0:
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


def reveal_own_folders(plan: Plan, exercises: Path, workdir: Path) -> str:
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
    ``reveal_own_folders`` to settle."""
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
