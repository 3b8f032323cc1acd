"""The figures of the class report, computed from the learners' results (pure functions).

Only graded learners count in the statistics: a grading whose machinery failed is not a score.
A learner's total is the sum of their automatically scored tasks (written answers are graded
by hand, outside it), so that the item-rest figures add up exactly.
"""

from __future__ import annotations

import math
import re
import statistics
from typing import Any

from grader.manifest import Kind
from instructor.class_data import Batch, Learner
from instructor.deadline import NOT_SUBMITTED

EPSILON = 1e-9
HIGH_PASS, LOW_PASS, LOW_DISCRIMINATION = 0.95, 0.20, 0.2
FLAG_MEANINGS = {
    "almost everyone passes": "over 95 % at full marks: the task may be too easy, or its checks may miss "
    "mistakes; its discrimination says little",
    "few pass": "under 20 % at full marks: the instructions may be unclear, the task too hard, or a check "
    "stricter than the task asks; read its failure groups",
    "low discrimination": "item-rest correlation under 0.2: the task does not separate stronger from weaker "
    "learners; it may test something else than the rest, or a check may be down to luck",
}
# A stub's checks say it raised NotImplementedError; an untouched answer sheet says the answer is empty.
NEVER_STARTED = re.compile(r"NotImplementedError|the answer to \S+ is empty")
CHOICE_ANSWER = re.compile(r"found the answer ([A-Z])\b")
BLANK, UNREADABLE, UNCHECKED = "blank", "unreadable", "not checked"
# Generated values that make messages of the same mistake differ: a group ignores them.
_GENERATED = [
    (re.compile(r"""(:\s*)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""), r"\1<text>"),  # values of a dict shown
    (re.compile(r"shardId-\d+"), "<shard id>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", re.IGNORECASE), "<n>"),
]


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """The Pearson correlation, or None when either side has no variance (it is undefined)."""
    if len(xs) < 2:
        return None
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    dx, dy = [x - mean_x for x in xs], [y - mean_y for y in ys]
    sxx, syy = math.fsum(d * d for d in dx), math.fsum(d * d for d in dy)
    if sxx == 0 or syy == 0:
        return None
    return math.fsum(a * b for a, b in zip(dx, dy)) / math.sqrt(sxx * syy)


def summary(values: list[float]) -> dict[str, float | None]:
    """Mean, median, sample standard deviation (n - 1) and quartiles (inclusive method)."""
    if not values:
        return dict.fromkeys(("mean", "median", "sd", "q1", "q3", "min", "max"))
    quartiles = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return {
        "mean": math.fsum(values) / len(values),
        "median": statistics.median(values),
        "sd": statistics.stdev(values) if len(values) > 1 else None,
        "q1": quartiles[0],
        "q3": quartiles[2],
        "min": min(values),
        "max": max(values),
    }


def histogram(values: list[float], top: float, bins: int = 10) -> list[dict[str, Any]]:
    """Counts per equal bin of 0..top; the last bin holds top itself."""
    width = top / bins if top > 0 else 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int(value / width + EPSILON)))] += 1
    return [{"from": round(i * width, 6), "to": round((i + 1) * width, 6), "learners": counts[i]} for i in range(bins)]


def group_key(message: str) -> str:
    """What a failure says the learner's code did, generated values replaced: the same mistake,
    the same key. A check's message reads "Called <what the check did>. It <what the code did>.
    Expected ..."; the call and the expectation name the check's (often generated) inputs, so
    only the "It ..." line counts when there is one, else the whole message."""
    lines = [line.strip() for line in message.splitlines()]
    did = [line for line in lines if line.startswith("It ")]
    text = " ".join(" ".join(did[:1] or lines).split())
    for pattern, stand_in in _GENERATED:
        text = pattern.sub(stand_in, text)
    return text


def task_table(batch: Batch) -> list[dict[str, Any]]:
    """Every task seen in the reports, in task order: id, number, title, kind, hint, max_score."""
    tasks: dict[str, dict[str, Any]] = {}
    for learner in batch.learners:
        for task in (learner.report or {}).get("tasks", []):
            seen = tasks.setdefault(task["id"], {k: task.get(k) for k in ("id", "number", "title", "kind", "hint")})
            seen["max_score"] = max(seen.get("max_score", 0.0), float(task.get("max_score") or 0.0))
    return sorted(tasks.values(), key=lambda t: (t["number"] or 0, t["id"]))


def scored(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks with automatic points: not written, and worth something at the level graded."""
    return [t for t in tasks if t["kind"] != Kind.WRITTEN and t["max_score"] > 0]


def task_scores(learner: Learner) -> dict[str, float]:
    return {t["id"]: float(t["score"]) for t in learner.report["tasks"] if t.get("kind") != Kind.WRITTEN}


def per_task(graded: list[Learner], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scored task: points distribution, mean, share at full marks, item-rest correlation, flags."""
    scores = [task_scores(learner) for learner in graded]
    totals = [math.fsum(s.values()) for s in scores]
    rows = []
    for task in scored(tasks):
        points = [s.get(task["id"], 0.0) for s in scores]
        full = sum(1 for p in points if p >= task["max_score"] - EPSILON) if task["max_score"] else 0
        share = full / len(points) if points else None
        rest = [total - p for total, p in zip(totals, points)]
        correlation = pearson(points, rest)
        flags = []
        if share is not None and share > HIGH_PASS:
            flags.append("almost everyone passes")
        if share is not None and share < LOW_PASS:
            flags.append("few pass")
        if correlation is not None and correlation < LOW_DISCRIMINATION:
            flags.append("low discrimination")
        distribution: dict[float, int] = {}
        for p in points:
            distribution[round(p, 2)] = distribution.get(round(p, 2), 0) + 1
        rows.append(
            {
                **{k: task[k] for k in ("id", "number", "title", "kind", "max_score")},
                "mean": math.fsum(points) / len(points) if points else None,
                "facility": math.fsum(points) / len(points) / task["max_score"]
                if points and task["max_score"]
                else None,
                "full_marks": full,
                "full_share": share,
                "item_rest": correlation,
                "flags": flags,
                "distribution": [{"points": k, "learners": v} for k, v in sorted(distribution.items())],
            }
        )
    return rows


def per_check(graded: list[Learner], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pass rate of every check, public and hidden, in task order."""
    order = {t["id"]: t["number"] or 0 for t in tasks}
    counts: dict[tuple[str, str, bool], list[int]] = {}
    scored_flags: dict[tuple[str, str, bool], bool] = {}
    for learner in graded:
        for test in learner.report.get("tests", []):
            key = (test["task"], test["name"], bool(test.get("hidden")))
            tally = counts.setdefault(key, [0, 0])
            tally[0] += test["status"] == "passed"
            tally[1] += 1
            scored_flags[key] = scored_flags.get(key, False) or bool(test.get("scored", True))
    rows = [
        {
            "task": task,
            "check": name,
            "visibility": "hidden" if hidden else "public",
            "scored": scored_flags[(task, name, hidden)],
            "passed": passed,
            "run": run,
            "pass_rate": passed / run,
        }
        for (task, name, hidden), (passed, run) in counts.items()
    ]
    return sorted(rows, key=lambda r: (order.get(r["task"], 0), r["task"], r["visibility"] == "hidden", r["check"]))


def failure_groups(graded: list[Learner], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed checks grouped by task and message (generated values ignored), most learners first."""
    hints = {t["id"]: t["hint"] or "" for t in tasks}
    order = {t["id"]: t["number"] or 0 for t in tasks}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for learner in graded:
        for test in learner.report.get("tests", []):
            if test["status"] == "passed":
                continue
            message = test.get("message") or test["status"]
            key = (test["task"], group_key(message))
            group = groups.setdefault(key, {"learners": set(), "checks": set(), "example": message})
            group["learners"].add(learner.name)
            group["checks"].add(test["name"])
    rows = [
        {
            "task": task,
            "pattern": pattern,
            "learners": len(group["learners"]),
            "share": len(group["learners"]) / len(graded),
            "checks": sorted(group["checks"]),
            "example": group["example"],
            "hint": hints.get(task, ""),
        }
        for (task, pattern), group in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r["learners"], order.get(r["task"], 0), r["task"], r["pattern"]))


def choice_letters(batch: Batch, graded: list[Learner], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per multiple-choice question: how many chose each letter, read from the check results (a
    passed answer check means the key's letter; a failed one names the letter found)."""
    rows = []
    for task in (t for t in tasks if t["kind"] == Kind.CHOICE):
        counts: dict[str, int] = {}
        for learner in graded:
            checks = [t for t in learner.report.get("tests", []) if t["task"] == task["id"] and t.get("hidden")]
            letter = UNCHECKED
            for check in checks:
                message = check.get("message") or ""
                found = CHOICE_ANSWER.search(message)
                if check["status"] == "passed":
                    letter = batch.answer_key.get(task["id"], "right (no answer key here)")
                elif found:
                    letter = found.group(1)
                else:
                    letter = BLANK if NEVER_STARTED.search(message) else UNREADABLE
            counts[letter] = counts.get(letter, 0) + 1
        rows.append(
            {
                "question": task["id"],
                "key": batch.answer_key.get(task["id"], ""),
                "counts": dict(sorted(counts.items())),
            }
        )
    return rows


def written_answers(graded: list[Learner], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per written question: every learner's answer (and manual points once imported)."""
    rows = []
    for task in (t for t in tasks if t["kind"] == Kind.WRITTEN):
        answers = []
        for learner in graded:
            entry = next((m for m in learner.report.get("manual", []) if m.get("id") == task["id"]), {})
            answers.append(
                {"learner": learner.name, "answer": entry.get("answer") or "", "points": learner.manual.get(task["id"])}
            )
        rows.append({"question": task["id"], "title": task["title"], "answers": answers})
    return rows


def never_started(learner: Learner) -> list[str]:
    """Tasks left as handed out: every check failed on the stub's NotImplementedError or an
    empty answer, and written answers left empty."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for test in learner.report.get("tests", []):
        by_task.setdefault(test["task"], []).append(test)
    untouched = {
        task
        for task, tests in by_task.items()
        if all(t["status"] != "passed" and NEVER_STARTED.search(t.get("message") or "") for t in tests)
    }
    untouched |= {m["id"] for m in learner.report.get("manual", []) if not (m.get("answer") or "").strip()}
    order = {t["id"]: t.get("number") or 0 for t in learner.report.get("tasks", [])}
    return sorted(untouched, key=lambda task: (order.get(task, 0), task))


def not_submitted(learner: Learner) -> bool:
    """No commit before the deadline (grade-all DEADLINE=): not an error of the grading."""
    return learner.report is None and learner.error.startswith(NOT_SUBMITTED)


def attention(batch: Batch) -> list[dict[str, Any]]:
    """Learners to look at: errors, a zero total, tasks never started."""
    rows = []
    for learner in batch.learners:
        reasons = []
        if not_submitted(learner):
            reasons.append(learner.error)
        elif not learner.graded:
            reasons.append("error: " + (learner.error or "not graded"))
        else:
            if math.fsum(task_scores(learner).values()) == 0:
                reasons.append("zero score")
            untouched = never_started(learner)
            if untouched:
                reasons.append("never started: " + ", ".join(untouched))
        if reasons:
            rows.append({"learner": learner.name, "reasons": reasons})
    return rows
