"""Levels and contract clauses: the one source is ``clauses.toml``, the setting ``level.toml``.

A level decides which clauses count, and so which checks: a test counts at a level when
every clause it names (``@pytest.mark.clause``) is at that level or below. A test that
names no clause counts at the full level only, so an untagged check never costs points at core.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("clauses.toml")
SETTING = Path(__file__).with_name("level.toml")
LEVELS = ("core", "full")  # in order: each level includes the ones before it
CORE_LIMIT = 20  # the core level is a 20-minute hands-on: at most this many clauses


@dataclass(frozen=True)
class Clause:
    """One promise of a task's contract."""

    id: str
    task: str
    level: str
    text: str
    hint: str


def check_level(level: str) -> str:
    """``level`` if it is a known level, else a ValueError naming the known ones."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: choose one of {', '.join(LEVELS)}")
    return level


def configured_level(path: Path = SETTING) -> str:
    """The instructor's setting (``grader/level.toml``); core where the file is missing."""
    if not path.is_file():
        return LEVELS[0]
    return check_level(str(tomllib.loads(path.read_text(encoding="utf-8")).get("level", LEVELS[0])))


def level_or_setting(level: str | None) -> str:
    """An explicit level (``--level``, ``LEVEL=``) wins over the setting."""
    return check_level(level) if level else configured_level()


def includes(level: str, clause_level: str) -> bool:
    """Whether a clause of ``clause_level`` is graded at ``level``."""
    return LEVELS.index(clause_level) <= LEVELS.index(level)


def load(path: Path = SOURCE) -> list[Clause]:
    """Every clause, in the file's order; ids unique, levels known."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = [Clause(**entry) for entry in data["clause"]]
    ids = [c.id for c in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate clause ids")
    for clause in found:
        check_level(clause.level)
    core = [c for c in found if c.level == LEVELS[0]]
    if len(core) > CORE_LIMIT:
        raise ValueError(f"{path.name}: {len(core)} core clauses, more than {CORE_LIMIT}")
    return found


def by_id(found: list[Clause] | None = None) -> dict[str, Clause]:
    """Clauses keyed by id."""
    return {c.id: c for c in (load() if found is None else found)}


def of_task(task: str, found: list[Clause] | None = None) -> list[Clause]:
    """A task's clauses, core first, in the file's order."""
    mine = [c for c in (load() if found is None else found) if c.task == task]
    return sorted(mine, key=lambda c: LEVELS.index(c.level))


def test_level(clause_ids: list[str], known: dict[str, Clause], at_least: str = LEVELS[0]) -> str:
    """The lowest level at which a test naming ``clause_ids`` counts (full when it names none).

    ``at_least`` is the test's own ``@pytest.mark.level``: a further variation of a check of
    core clauses (another example shape, an edge case) may count from the full level only, so
    that the core level grades one public and one hidden check per clause.
    """
    if not clause_ids:
        return LEVELS[-1]
    levels = [known[c].level if c in known else LEVELS[-1] for c in clause_ids] + [check_level(at_least)]
    return max(levels, key=LEVELS.index)


def task_hint(task: str, level: str, found: list[Clause] | None = None) -> str:
    """A code task's hint: the hints of its clauses graded at ``level``."""
    return " ".join(c.hint for c in of_task(task, found) if includes(level, c.level))
