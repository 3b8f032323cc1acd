"""The task manifest: ids, points, hints. Loaded and checked in one place.

A code task's hint and its number of hidden checks depend on the level being graded
(``grader.clauses``): ``load(level=...)``, the instructor's setting when none is given.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from grader import clauses

MANIFEST = Path(__file__).with_name("manifest.toml")


class Kind(StrEnum):
    """How a task is graded."""

    CODE = "code"  # by tests against the learner's code
    CHOICE = "choice"  # a multiple-choice answer in checkpoint.md, graded automatically
    WRITTEN = "written"  # free text, collected for the instructor (manual_points)


@dataclass(frozen=True)
class Task:
    """One gradable task."""

    id: str
    number: int
    title: str
    kind: Kind
    points: float
    hint: str
    hidden_checks: int = 0
    manual_points: float = 0


def _at_level(entry: dict[str, Any], level: str, found: list[clauses.Clause]) -> dict[str, Any]:
    """A manifest entry as graded at ``level``: a code task's hint from its clauses, its hidden-check count."""
    entry = {**entry, "kind": Kind(entry["kind"])}
    if isinstance(entry.get("hidden_checks"), dict):
        entry["hidden_checks"] = int(entry["hidden_checks"][level])
    if entry["kind"] is Kind.CODE and "hint" not in entry:
        entry["hint"] = clauses.task_hint(entry["id"], level, found)
    return entry


def load(path: Path = MANIFEST, level: str | None = None) -> list[Task]:
    """Read and validate the manifest at ``level`` (the setting by default); points of auto-graded tasks sum to 100."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = {kind.value for kind in Kind}
    for entry in data["task"]:
        if entry.get("kind") not in kinds:
            raise ValueError(f"{path.name}: task {entry.get('id')} has unknown kind {entry.get('kind')!r}")
    level = clauses.level_or_setting(level)
    found = clauses.load()
    tasks = [Task(**_at_level(entry, level, found)) for entry in data["task"]]
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate task ids")
    if [t.number for t in tasks] != list(range(1, len(tasks) + 1)):
        raise ValueError(f"{path.name}: tasks must be numbered 1, 2, 3, ... in order")
    for task in tasks:
        if task.kind is Kind.WRITTEN and task.points:
            raise ValueError(f"{path.name}: written task {task.id} is graded by hand: use manual_points")
    total = sum(t.points for t in tasks)
    if total != 100:
        raise ValueError(f"{path.name}: points add up to {total}, not 100")
    return tasks


def by_id(tasks: list[Task]) -> dict[str, Task]:
    """Tasks keyed by id."""
    return {t.id: t for t in tasks}
