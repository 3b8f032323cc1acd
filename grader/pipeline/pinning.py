"""One CPU for each part of a grading, or each grading of a batch, where there is exactly one CPU for each.

A part is a chain that hands each call on: the check waits for the worker, the worker's run
calls the part's Kinesis (a thread of the grading process), and back, a few thousand times a
grading. Left to the scheduler, the two parts' processes and threads move between the two
cores and wait to be woken on the other one. Kept on one core each, a part's hand-offs stay
where its caches are. Measured on 2 cores, side by side, 6 pairs: a full grading of the
reference took about 16 % less time (6.4 s to 5.4 s) and 7 % less CPU (10.0 to 9.3 CPU-s).

A batch (``instructor.batch``) grades as many submissions at once as there are CPUs, each in
one process: the same holds for each of them, and a thread of the batch's pool keeps to one
CPU, which the grading it starts inherits. Two one-process gradings at once, side by side:
core 6.1 to 4.8 s for the pair, full 14.8 to 10.0 s, and 9 and 15 % less CPU.

Only where exactly one CPU is free for each part or grading: with more CPUs than that, two
gradings at once would be pinned to the same pair while other cores idle, so the scheduler
decides. A process that may not be pinned (another user's, one already gone) is left as it is; the
grading only runs slower. The grading process gets its CPUs back when its parts are done.
"""

from __future__ import annotations

import os

from grader.sandbox import reaping


def cpus_for(chains: int) -> list[set[int]] | None:
    """One CPU for each of ``chains`` parts or gradings at once, or None where the scheduler should decide."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # a platform without affinity
        return None
    if chains < 2 or len(allowed) != chains:
        return None
    return [{cpu} for cpu in allowed]


def pin_this_thread(cpus: set[int]) -> None:
    """Keep the calling thread on ``cpus``; what it starts from now on inherits it."""
    try:
        os.sched_setaffinity(0, cpus)  # 0: the calling thread only
    except OSError:
        pass


def pin_tree(root: int, cpus: set[int], skip: frozenset[int] = frozenset()) -> None:
    """Keep ``root``, every thread of it and every process beneath it (but ``skip`` and theirs) on ``cpus``.

    Processes started later inherit it from their parent: a worker's runs, forked from it.
    """
    if root in skip:
        return
    for pid in [root, *reaping.descendants(root, skip)]:
        pin_threads(pid, cpus)


def pin_threads(pid: int, cpus: set[int]) -> None:
    """Keep every thread of process ``pid`` on ``cpus`` (affinity belongs to a thread, not a process)."""
    try:
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        threads = [pid]
    for tid in threads:
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:  # gone, or not ours to move
            pass
