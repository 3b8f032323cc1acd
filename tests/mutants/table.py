"""The kill table: grade every mutant and tell which ones the grader catches (``make mutants``), per level.

A producer mutant and a consumer mutant share one submission, graded in full (hidden and
fault tests included), two gradings at a time: the two modules are tested independently
(the grader writes and reads streams itself), so each mutant's verdict is read from its own
module's tasks, compared with the reference's full marks. Pairing halves the gradings.

At the full level every mistake must lose points on its task; at the core level a core
mistake must, and a full-level one must keep every point of its module. With
``public_only`` (the core release's self-test) only the public checks run, as in ``make check``.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

from grader import clauses, manifest
from tests.mutants.mutants import MUTANTS, Mutant
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, shared_dir, task_scores


def pairs(mutants: list[Mutant]) -> list[tuple[Mutant, ...]]:
    """Producer mutants side by side with consumer mutants; the longer list's rest alone."""
    producers = [m for m in mutants if m.module == "producer"]
    consumers = [m for m in mutants if m.module == "consumer"]
    return [tuple(m for m in pair if m is not None) for pair in itertools.zip_longest(producers, consumers)]


def mutant_jobs(
    mutants: list[Mutant], reference: Path = REFERENCE, level: str = "full", public_only: bool = False
) -> tuple[list[Job], dict[str, tuple[Mutant, ...]]]:
    """The gradings of every mutant in pairs at ``level``, and the mutants each one carries."""
    base = shared_dir() / "mutants"
    jobs, members = [], {}
    for pair in pairs(mutants):
        name = "+".join(m.id for m in pair)
        patches = [patch for m in pair for patch in m.patches]
        exercises = materialize(base / name, patches, reference=reference)
        name = f"{name}@{level}{'-public' if public_only else ''}"
        jobs.append(Job(name, exercises, include_hidden=not public_only, level=level))
        members[name] = pair
    return jobs, members


def grade_batches(
    batches: list[tuple[list[Mutant], str, bool]], workers: int = 2, reference: Path = REFERENCE
) -> list[dict[str, dict[str, Any]]]:
    """Grade several sets of mutants, each ``(mutants, level, public_only)``, in one batch of gradings
    (one pool and one tail for all); returns each set's mutant id -> report."""
    planned = [mutant_jobs(mutants, reference, level, public_only) for mutants, level, public_only in batches]
    graded = grade_all([job for jobs, _ in planned for job in jobs], workers, reuse=True)
    return [{m.id: graded[name][0] for name, pair in members.items() for m in pair} for _, members in planned]


def grade_mutants(
    mutants: list[Mutant],
    workers: int = 2,
    reference: Path = REFERENCE,
    level: str = "full",
    public_only: bool = False,
) -> tuple[dict[str, dict[str, Any]], float]:
    """Grade every mutant (in pairs) at ``level``; returns mutant id -> report, and the wall time."""
    started = time.monotonic()
    [reports] = grade_batches([(mutants, level, public_only)], workers, reference)
    return reports, time.monotonic() - started


def keeps_its_points(mutant: Mutant, level: str) -> bool:
    """Whether a mutant must keep every point of its module at ``level``."""
    return mutant.equivalent or not clauses.includes(level, mutant.level)


def verdict(mutant: Mutant, report: dict[str, Any], level: str = "full") -> dict[str, Any]:
    """Points lost on the mutant's task, on each other task of its module, and whether that is as declared.

    A mistake must lose points on its task and on the tasks of ``also`` only (none when it
    ``survives``); an equivalent rewrite, or a mistake above ``level``, must lose nothing
    anywhere in its module.
    """
    full = {t.id: float(t.points) for t in manifest.load()}
    got = task_scores(report)
    costs = {t: full[t] - got[t] for t in full if t.startswith(mutant.module + ".") and got[t] != full[t]}
    lost = costs.get(mutant.task, 0.0)
    changed = sorted(t for t in costs if t != mutant.task)
    if keeps_its_points(mutant, level):
        ok = not costs
    else:
        expected_ok = (lost == 0) if mutant.survives else lost > 0
        ok = expected_ok and set(changed) == set(mutant.also)
    return {"lost": lost, "changed": changed, "costs": costs, "ok": ok}


def _short(task: str) -> str:
    return task.partition(".")[2]


def print_table(chosen: list[Mutant], reports: dict[str, dict[str, Any]], level: str, seconds: float) -> int:
    """Print one level's table: a row per mutant, then totals; returns how many are not as declared."""
    print(f"Level {level}:")
    print(f"{'mutant':36} {'task':24} {'level':5} {'lost':>5}  points lost on other tasks")
    failures = 0
    totals: dict[str, dict[str, float]] = {}
    for mutant in chosen:
        row = verdict(mutant, reports[mutant.id], level)
        others = ", ".join(f"{_short(t)} -{row['costs'][t]:g}" for t in row["changed"]) or "-"
        if mutant.equivalent:
            note = "  (equivalent rewrite: must keep full marks)"
        elif keeps_its_points(mutant, level):
            note = f"  ({mutant.level} level: must keep its points here)"
        elif mutant.survives:
            note = f"  (expected to survive: {mutant.survives})"
        else:
            note = ""
        flag = "" if row["ok"] else "  <-- NOT AS DECLARED"
        failures += not row["ok"]
        print(f"{mutant.id:36} {mutant.task:24} {mutant.level:5} {row['lost']:5g}  {others}{note}{flag}")
        side = totals.setdefault(
            mutant.module, {"mistakes": 0, "killed": 0, "points": 0.0, "equivalent": 0, "kept": 0, "above": 0}
        )
        if mutant.equivalent:
            side["equivalent"] += 1
            side["kept"] += not row["costs"]
        elif keeps_its_points(mutant, level):
            side["above"] += 1
        else:
            side["mistakes"] += 1
            side["killed"] += row["lost"] > 0
            side["points"] += sum(row["costs"].values())
    print()
    for module, side in totals.items():
        print(
            f"{module}: {side['killed']:g}/{side['mistakes']:g} mistakes lose points on their task "
            f"({side['points']:g} points lost in all); {side['kept']:g}/{side['equivalent']:g} equivalent rewrites "
            f"keep full marks; {side['above']:g} mistakes of the full level not graded here"
        )
    print(f"{len(pairs(chosen))} gradings in {seconds:.0f} s; {failures} not as declared\n")
    return failures


def main(argv: list[str] | None = None) -> int:
    """Print the table at each level asked; exit 1 if a mutant is not as declared."""
    parser = argparse.ArgumentParser(prog="python -m tests.mutants")
    parser.add_argument("ids", nargs="*", help="only these mutants")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference", default=str(REFERENCE), help="the solution the mutants are made from")
    parser.add_argument("--level", choices=clauses.LEVELS, action="append", help="default: every level")
    parser.add_argument("--public-only", action="store_true", help="the public checks only, as make check runs them")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    unknown = set(args.ids) - {m.id for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    failures = 0
    for level in args.level or clauses.LEVELS:
        reports, seconds = grade_mutants(chosen, args.workers, Path(args.reference), level, args.public_only)
        failures += print_table(chosen, reports, level, seconds)
    return 1 if failures else 0
