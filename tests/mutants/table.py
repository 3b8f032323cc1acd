"""The kill table: grade every mutant and tell which ones the grader catches (``make mutants``).

Each mutant is graded with the tests of its own module only (``-k "producer or faults"``
or the consumer's), hidden tests included, two at a time; the reference graded the same way
gives the points to compare with.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from tests.mutants.mutants import MUTANTS, Mutant, selection
from tests.mutants.patching import REFERENCE, Job, grade_all, materialize, shared_dir, task_scores


def grade_mutants(mutants: list[Mutant], workers: int = 2, reference: Path = REFERENCE) -> tuple[dict[str, tuple[dict[str, Any], float]], float]:
    """Grade the reference per module and every mutant; returns the results and the wall time."""
    base = shared_dir() / "mutants"
    jobs = [Job(f"reference.{module}", reference, True, selection(module)) for module in sorted({m.module for m in mutants})]
    jobs += [Job(m.id, materialize(base / m.id, m.patches, reference=reference), True, m.selection) for m in mutants]
    started = time.monotonic()
    results = grade_all(jobs, workers, reuse=True)
    return results, time.monotonic() - started


def verdict(mutant: Mutant, results: dict[str, tuple[dict[str, Any], float]]) -> dict[str, Any]:
    """Points lost on the mutant's task, and the other tasks of its module whose points changed."""
    reference = task_scores(results[f"reference.{mutant.module}"][0])
    got = task_scores(results[mutant.id][0])
    lost = reference[mutant.task] - got[mutant.task]
    changed = sorted(t for t in reference if t.startswith(mutant.module + ".") and t != mutant.task and got[t] != reference[t])
    expected_ok = (lost == 0) if mutant.survives else lost > 0
    return {"lost": lost, "changed": changed, "ok": expected_ok and set(changed) == set(mutant.also)}


def main(argv: list[str] | None = None) -> int:
    """Print one row per mutant; exit 1 if a mutant is not caught as declared."""
    parser = argparse.ArgumentParser(prog="python -m tests.mutants")
    parser.add_argument("ids", nargs="*", help="only these mutants")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference", default=str(REFERENCE), help="the solution the mutants are made from")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    results, seconds = grade_mutants(chosen, args.workers, Path(args.reference))
    print(f"{'mutant':32} {'task':24} {'lost':>5}  other tasks changed")
    failures = 0
    for mutant in chosen:
        row = verdict(mutant, results)
        others = ", ".join(row["changed"]) or "no"
        note = f"  (expected to survive: {mutant.survives})" if mutant.survives else ""
        flag = "" if row["ok"] else "  <-- NOT AS DECLARED"
        failures += not row["ok"]
        print(f"{mutant.id:32} {mutant.task:24} {row['lost']:5g}  {others}{note}{flag}")
    killed = sum(1 for m in chosen if verdict(m, results)["lost"] > 0)
    print(f"\n{killed}/{len(chosen)} mutants lose points on their task; graded in {seconds:.0f} s")
    return 1 if failures else 0

