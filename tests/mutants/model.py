"""Small, realistic mistakes in the reference, each one a learner could make.

Each mutant names the task it breaks and the replacements that turn the reference into it
(file in exercises/, the reference's text, the mistaken text). ``also`` lists other tasks a
mistake unavoidably breaks too (e.g. a wrong shard iterator breaks every reading task);
``survives`` explains a mistake the tests cannot see, if any. Grading a mutant must cost
points on ``task`` (and ``also``) and leave every other task's points as they are.

Each mistake has a level, the level of the clause it breaks (``grader/clauses.toml``): a
``core`` mistake must cost points at both levels, and the public checks alone must catch it
at the core level; a ``full`` mistake (retries, paging, resharding, uneven reads, ...) must
cost points at the full level and keep every point of its module at the core level.

A mutant with ``equivalent=True`` is not a mistake but a correct rewrite of ``task`` in
another style (e.g. ``describe_stream`` paging instead of ``list_shards``): it must keep
full marks on every task of its module, so the tests do not demand the reference's style.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader import clauses
from tests.mutants.patching import Patch

P, C = "enhanced_producer.py", "enhanced_consumer.py"
READING = {
    "consumer.all_shards",
    "consumer.stopping",
    "consumer.filtering",
    "consumer.independence",
    "consumer.throughput",
}


@dataclass(frozen=True)
class Mutant:
    """One mistake: what it breaks and how it is made from the reference."""

    id: str
    task: str
    patches: tuple[Patch, ...]
    also: frozenset[str] = field(default_factory=frozenset)
    survives: str = ""  # why the tests cannot catch it (then it is expected to keep its points)
    equivalent: bool = False  # a correct rewrite, not a mistake: it must keep full marks
    level: str = "core"  # the level of the clause it breaks: it loses points from that level on

    @property
    def module(self) -> str:
        """'producer' or 'consumer': the module whose tasks are graded for this mutant."""
        return self.task.partition(".")[0]

    @property
    def selection(self) -> list[str]:
        """pytest arguments choosing the tests of the module (fault tests are in their own file)."""
        return selection(self.module)


def selection(module: str) -> list[str]:
    """``-k`` for the tests of a module: its test files and the fault-injection file."""
    return ["-k", f"{module} or faults"]


def m(
    id: str,
    task: str,
    *patches: Patch,
    also: set[str] | None = None,
    survives: str = "",
    equivalent: bool = False,
    level: str = "core",
) -> Mutant:
    if equivalent and (also or survives):
        raise ValueError(f"{id}: an equivalent rewrite keeps full marks; it has no 'also' or 'survives'")
    return Mutant(id, task, tuple(patches), frozenset(also or ()), survives, equivalent, clauses.check_level(level))


def full(id: str, task: str, *patches: Patch, also: set[str] | None = None, survives: str = "") -> Mutant:
    """A mistake in a full-level clause: it costs points at the full level only."""
    return m(id, task, *patches, also=also, survives=survives, level="full")


def same(id: str, task: str, *patches: Patch) -> Mutant:
    """A correct rewrite of ``task`` in another style: it must keep full marks."""
    return m(id, task, *patches, equivalent=True)
