"""The task manifest: ids, points, hints. Loaded and checked in one place."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

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


def load(path: Path = MANIFEST) -> list[Task]:
    """Read and validate the manifest; points of auto-graded tasks must sum to 100."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = {kind.value for kind in Kind}
    for entry in data["task"]:
        if entry.get("kind") not in kinds:
            raise ValueError(f"{path.name}: task {entry.get('id')} has unknown kind {entry.get('kind')!r}")
    tasks = [Task(**{**entry, "kind": Kind(entry["kind"])}) for entry in data["task"]]
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
