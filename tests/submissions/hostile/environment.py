"""Grade hostile submissions in another environment than the test's own (root with every capability).

``python -m tests.submissions.hostile.environment CONFIG`` grades what CONFIG (JSON: ``jobs``, each
``[name, exercises, extra_args, out]``, and ``result``, a file) names, two at a time, and writes
``{name: [report, seconds]}`` to ``result``. ``command(environment, config)`` gives the command
line that runs it in one of ``ENVIRONMENTS``:

- ``root_without_cap_sys_admin``: root, every capability but CAP_SYS_ADMIN (``capsh --drop``), as in
  a default container: no mount or pid namespace without a user namespace;
- ``root_in_a_default_container``: root without CAP_SYS_ADMIN where no user namespace can be
  made either (as Docker's default seccomp profile has it), with a Python everyone can read,
  as in most container images;
- ``user_with_userns``: an ordinary user (``nobody``), unprivileged user namespaces allowed;
- ``user_without_userns``: the same user in a user namespace where the kernel allows no further
  user namespace (``user.max_user_namespaces`` 0 there; the machine's own setting is untouched).

An ordinary user cannot run an interpreter under /root: both user environments use a venv made
from the system's Python (``make venv-system``), readable by everyone. Where the checkout itself
lies beneath a folder other users cannot enter (a clone in a ``mktemp -d`` folder, say), the
environments that use that venv run from a copy of the project made for this run in a folder
everyone can reach (the venv hard-linked where it can be), removed when the tests end.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from grader.sandbox.messages import NO_LANDLOCK_VARIABLE  # noqa: E402
from grader.sandbox.uids import UID_RANGE  # noqa: E402

SYSTEM_VENV = ROOT / ".venv-system"
ENVIRONMENTS = ("root_without_cap_sys_admin", "root_in_a_default_container", "user_with_userns", "user_without_userns")
NOBODY = 65534
CLONE_NEWUSER = 0x10000000


def unavailable(environment: str) -> str:
    """Why ``environment`` cannot be made on this machine, or ""."""
    if os.geteuid() != 0:
        return "making the other environments needs root"
    if environment.startswith("root") and not shutil.which("capsh"):
        return "capsh (Debian's libcap2-bin) is not installed"
    if environment in ("root", "root_without_landlock", "root_without_cap_sys_admin"):
        return ""
    if not (SYSTEM_VENV / "bin" / "python").exists():
        return f"{SYSTEM_VENV.name} is missing: `make venv-system` makes it from the system's python3.11"
    return ""


_STAGED: list[Path] = []


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can pass through ``path`` and every folder above it."""
    return all(os.stat(folder).st_mode & stat.S_IXOTH for folder in [path, *path.parents])


def project_root() -> Path:
    """Where the environments that run ``.venv-system`` find the project: the checkout, where
    every user can reach it, else a copy of it made once per process."""
    if _reachable_by_others(SYSTEM_VENV):
        return ROOT
    if not _STAGED:
        target = Path(tempfile.mkdtemp(prefix="hostile-project-"))
        atexit.register(shutil.rmtree, target, True)
        _stage_project(target)
        _STAGED.append(target)
    return _STAGED[0]


def _stage_project(target: Path) -> None:
    """Copy the project's files (tracked and new, as they are now) and its system venv to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    venv = target / SYSTEM_VENV.name
    if subprocess.run(["cp", "-al", str(SYSTEM_VENV), str(venv)], capture_output=True, check=False).returncode:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run(["cp", "-a", str(SYSTEM_VENV), str(venv)], check=True)
    for folder in [target, *(path for path in target.rglob("*") if path.is_dir() and not path.is_symlink())]:
        folder.chmod(0o755)


def command(environment: str, config: Path, bench: bool = False) -> tuple[list[str], dict[str, Any]]:
    """The command line and ``subprocess.Popen`` options that grade ``config`` in ``environment``
    (with ``bench``: measure there, into the file ``config``)."""
    arguments = ["--bench", str(config)] if bench else [str(config)]
    own = [sys.executable, "-m", "tests.submissions.hostile.environment", *arguments]
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(config.parent),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if environment in ("root", "root_without_landlock"):  # this process's own environment, Landlock off or on
        switch = {NO_LANDLOCK_VARIABLE: "1"} if environment == "root_without_landlock" else {}
        return own, {"env": {**env, **switch}, "cwd": ROOT}
    if environment == "root_without_cap_sys_admin":
        import shlex

        return [shutil.which("capsh") or "capsh", "--drop=cap_sys_admin", "--", "-c", "exec " + shlex.join(own)], {
            "env": env,
            "cwd": ROOT,
        }
    root = project_root()
    env["PYTHONPATH"] = str(root)
    python = root / SYSTEM_VENV.name / "bin" / "python"
    system = [str(python), "-m", "tests.submissions.hostile.environment", *arguments]
    if environment == "user_with_userns":
        return system, {"env": env, "cwd": root, "user": NOBODY, "group": NOBODY, "extra_groups": []}
    if environment == "root_in_a_default_container":
        import shlex

        capless = [shutil.which("capsh") or "capsh", "--drop=cap_sys_admin", "--", "-c", "exec " + shlex.join(system)]
        return [
            sys.executable,
            "-m",
            "tests.submissions.hostile.environment",
            "--without-userns",
            "--as-root",
            *capless,
        ], {"env": env, "cwd": root}
    return [sys.executable, "-m", "tests.submissions.hostile.environment", "--without-userns", *system], {
        "env": env,
        "cwd": root,
    }


def _without_userns(argv: list[str]) -> None:
    """As root: enter a user namespace that maps root and nobody, allow no user namespace in it,
    become nobody (unless ``--as-root`` comes first), and run ``argv``."""
    as_root = argv[:1] == ["--as-root"]
    argv = argv[1:] if as_root else argv
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.read(ready_r, 1)
        for name in ("uid_map", "gid_map"):  # root, nobody, and the uids workers take (as a container has them)
            Path(f"/proc/{os.getppid()}/{name}").write_text(
                f"0 0 1\n{NOBODY} {NOBODY} 1\n{UID_RANGE.start} {UID_RANGE.start} {len(UID_RANGE)}\n"
            )
        os._exit(0)
    if libc.unshare(CLONE_NEWUSER) != 0:
        sys.exit(f"unshare: {os.strerror(ctypes.get_errno())}")
    os.write(ready_w, b"x")
    os.waitpid(helper, 0)
    Path("/proc/sys/user/max_user_namespaces").write_text("0")
    if as_root:
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        os.execve(argv[0], argv, dict(os.environ))
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    os.execve(argv[0], argv, dict(os.environ))


def _bench(out: Path) -> None:
    """What the isolation costs here: a worker's start and one run with it and without it
    (``instructor.bench.run_cost``), and the median of 3 reference gradings, written to ``out``."""
    import statistics
    import time

    from grader.pipeline import grade
    from grader.sandbox.isolation import isolation
    from instructor.bench import run_cost

    figures: dict[str, Any] = {"sandbox": isolation()["isolation"], **run_cost(ROOT / "solutions", runs=30)}
    times = []
    for _ in range(3):
        started = time.monotonic()
        report = grade.grade(ROOT / "solutions")
        times.append(time.monotonic() - started)
    figures.update(grading_seconds=statistics.median(times), score=report["score"], max_score=report["max_score"])
    out.write_text(json.dumps(figures), encoding="utf-8")


def _grade_batch(config: dict[str, Any]) -> None:
    """Grade a batch as the instructor does (``instructor.batch``'s grade-all), and write
    ``{name: [report, seconds, error]}`` to ``config["result"]``."""
    from instructor import batch

    outcomes = batch.grade_all(
        Path(config["batch"]), Path(config["out"]), jobs=config.get("jobs", 2), force=True, stream=sys.stderr
    )
    results = {o.name: [o.report, o.seconds, o.error] for o in outcomes}
    Path(config["result"]).write_text(json.dumps(results), encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--without-userns"]:
        _without_userns(argv[1:])
    if argv[:1] == ["--bench"]:
        _bench(Path(argv[1]))
        return
    from tests.mutants.patching import Job, grade_all

    config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    if "batch" in config:
        _grade_batch(config)
        return
    jobs = [Job(name, Path(exercises), False, list(extra), Path(out)) for name, exercises, extra, out in config["jobs"]]
    results = grade_all(jobs)
    Path(config["result"]).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
