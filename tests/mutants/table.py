"""The kill table: grade every mutant and tell which ones the grader catches (``make mutants``).

A producer mutant and a consumer mutant share one submission, graded in full (hidden and
fault tests included), two gradings at a time: the two modules are tested independently
(the grader writes and reads streams itself), so each mutant's verdict is read from its own
module's tasks, compared with the reference's full marks. Pairing halves the gradings.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

from grader import manifest
from tests.mutants.mutants import MUTANTS, Mutant
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, shared_dir, task_scores


def pairs(mutants: list[Mutant]) -> list[tuple[Mutant, ...]]:
    """Producer mutants side by side with consumer mutants; the longer list's rest alone."""
    producers = [m for m in mutants if m.module == "producer"]
    consumers = [m for m in mutants if m.module == "consumer"]
    return [tuple(m for m in pair if m is not None) for pair in itertools.zip_longest(producers, consumers)]


def grade_mutants(
    mutants: list[Mutant], workers: int = 2, reference: Path = REFERENCE
) -> tuple[dict[str, dict[str, Any]], float]:
    """Grade every mutant (in pairs); returns mutant id -> report, and the wall time."""
    base = shared_dir() / "mutants"
    jobs, members = [], {}
    for pair in pairs(mutants):
        name = "+".join(m.id for m in pair)
        patches = [patch for m in pair for patch in m.patches]
        jobs.append(Job(name, materialize(base / name, patches, reference=reference)))
        members[name] = pair
    started = time.monotonic()
    graded = grade_all(jobs, workers, reuse=True)
    reports = {m.id: graded[name][0] for name, pair in members.items() for m in pair}
    return reports, time.monotonic() - started


def verdict(mutant: Mutant, report: dict[str, Any]) -> dict[str, Any]:
    """Points lost on the mutant's task, on each other task of its module, and whether that is as declared.

    A mistake must lose points on its task and on the tasks of ``also`` only (none when it
    ``survives``); an equivalent rewrite must lose nothing anywhere in its module.
    """
    full = {t.id: float(t.points) for t in manifest.load()}
    got = task_scores(report)
    costs = {t: full[t] - got[t] for t in full if t.startswith(mutant.module + ".") and got[t] != full[t]}
    lost = costs.get(mutant.task, 0.0)
    changed = sorted(t for t in costs if t != mutant.task)
    if mutant.equivalent:
        ok = not costs
    else:
        expected_ok = (lost == 0) if mutant.survives else lost > 0
        ok = expected_ok and set(changed) == set(mutant.also)
    return {"lost": lost, "changed": changed, "costs": costs, "ok": ok}


def _short(task: str) -> str:
    return task.partition(".")[2]


def main(argv: list[str] | None = None) -> int:
    """Print one row per mutant with the points it costs, then totals; exit 1 if a mutant is not as declared."""
    parser = argparse.ArgumentParser(prog="python -m tests.mutants")
    parser.add_argument("ids", nargs="*", help="only these mutants")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference", default=str(REFERENCE), help="the solution the mutants are made from")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    unknown = set(args.ids) - {m.id for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    reports, seconds = grade_mutants(chosen, args.workers, Path(args.reference))
    print(f"{'mutant':36} {'task':24} {'lost':>5}  points lost on other tasks")
    failures = 0
    totals: dict[str, dict[str, float]] = {}
    for mutant in chosen:
        row = verdict(mutant, reports[mutant.id])
        others = ", ".join(f"{_short(t)} -{row['costs'][t]:g}" for t in row["changed"]) or "-"
        if mutant.equivalent:
            note = "  (equivalent rewrite: must keep full marks)"
        elif mutant.survives:
            note = f"  (expected to survive: {mutant.survives})"
        else:
            note = ""
        flag = "" if row["ok"] else "  <-- NOT AS DECLARED"
        failures += not row["ok"]
        print(f"{mutant.id:36} {mutant.task:24} {row['lost']:5g}  {others}{note}{flag}")
        side = totals.setdefault(mutant.module, {"mistakes": 0, "killed": 0, "points": 0.0, "equivalent": 0, "kept": 0})
        if mutant.equivalent:
            side["equivalent"] += 1
            side["kept"] += not row["costs"]
        else:
            side["mistakes"] += 1
            side["killed"] += row["lost"] > 0
            side["points"] += sum(row["costs"].values())
    print()
    for module, side in totals.items():
        print(
            f"{module}: {side['killed']:g}/{side['mistakes']:g} mistakes lose points on their task "
            f"({side['points']:g} points lost in all); {side['kept']:g}/{side['equivalent']:g} equivalent rewrites "
            "keep full marks"
        )
    print(f"{len(pairs(chosen))} gradings in {seconds:.0f} s; {failures} not as declared")
    return 1 if failures else 0
