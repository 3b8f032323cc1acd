"""One CPU at most for each worker, where cgroups can be used (as root).

Learner code of one grading that keeps processes busy would otherwise take the cores the
other gradings of a batch need: their runs slow down (7× was measured) and, near the real-time
limit, fail. A worker and everything it starts (its runs, what they start) go into a cgroup of
their own whose CPU quota is one core: ``cpu.max`` on the unified hierarchy (cgroup v2, as on
GitHub's runners), ``cpu.cfs_quota_us`` under ``/sys/fs/cgroup/cpu`` (v1). Where neither can be
written (an ordinary user, a container without them), nothing is capped; the README says what a
busy neighbour can cost then.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_MICROSECONDS = 100_000
CPUS_PER_WORKER = 1


def _parent() -> tuple[Path, str] | None:
    """Where a worker's cgroup is made, and its kind ("v2" or "v1"), or None."""
    if os.geteuid() != 0:
        return None
    if (CGROUP_ROOT / "cgroup.controllers").is_file():
        controllers = (CGROUP_ROOT / "cgroup.subtree_control").read_text().split()
        return (CGROUP_ROOT, "v2") if "cpu" in controllers else None
    if (CGROUP_ROOT / "cpu" / "cpu.cfs_quota_us").is_file():
        return CGROUP_ROOT / "cpu", "v1"
    return None


def available() -> str:
    """"cgroup v2", "cgroup v1" or "" (no CPU share can be kept here)."""
    try:
        found = _parent()
    except OSError:
        return ""
    return f"cgroup {found[1]}" if found else ""


def confine(pid: int, name: str) -> Path | None:
    """Put process ``pid`` (a worker, before it forks any run) into a cgroup of its own with one
    CPU; return the cgroup's folder, or None where none can be made."""
    try:
        found = _parent()
        if found is None:
            return None
        parent, kind = found
        group = parent / f"grader-{name}"
        group.mkdir(mode=0o755)
        quota = PERIOD_MICROSECONDS * CPUS_PER_WORKER
        if kind == "v2":
            (group / "cpu.max").write_text(f"{quota} {PERIOD_MICROSECONDS}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_MICROSECONDS))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cgroup.procs").write_text(str(pid))
        return group
    except OSError:
        return None


def release(group: Path | None) -> None:
    """Remove a worker's cgroup once its processes are gone (a few tries while they die)."""
    if group is None:
        return
    for _ in range(50):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)
