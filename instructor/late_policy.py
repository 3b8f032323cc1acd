"""A late policy in one small TOML file, applied to grades already computed.

```toml
penalty_percent = 10   # of the raw score, per started unit of lateness
per = "day"            # "day" or "hour"
grace_minutes = 15     # lateness up to this costs nothing
floor_percent = 50     # a late submission keeps at least this share of its raw score
accept_late_days = 7   # commits later than the deadline plus this do not count
choose = "last"        # "last" or "best": which commit before the cut-off is graded
```

Every function here is pure: the same grades and policy give the same gradebook, so changing
the policy recomputes the gradebook without running a test again.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
CHOICES = ("last", "best")


class PolicyError(ValueError):
    """A policy file that says something this module does not know how to apply."""


@dataclass(frozen=True)
class Policy:
    """What lateness costs, and which commit counts. The default: no late work accepted."""

    penalty_percent: float = 0.0
    per: str = "day"
    grace_minutes: float = 0.0
    floor_percent: float = 0.0
    accept_late_days: float = 0.0
    choose: str = "last"

    @property
    def late_window(self) -> timedelta:
        return timedelta(days=self.accept_late_days)

    def penalty(self, raw: float, late: timedelta) -> float:
        """Points lost for being ``late`` (negative or zero: on time): a share of the raw score
        per started unit, nothing within the grace period, never more than down to the floor."""
        if raw <= 0 or late <= timedelta(minutes=self.grace_minutes) or late <= timedelta(0):
            return 0.0
        units = math.ceil(late / UNITS[self.per])
        share = min(self.penalty_percent * units, 100.0 - self.floor_percent) / 100.0
        return round(raw * max(share, 0.0), 2)

    def final(self, raw: float, late: timedelta) -> float:
        return round(raw - self.penalty(raw, late), 2)


def load(path: Path) -> Policy:
    """Read and check a policy file; an unknown key or value is refused, never ignored."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML ({error})") from None
    known = set(Policy.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise PolicyError(f"{path}: unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    policy = Policy(**data)
    if policy.per not in UNITS:
        raise PolicyError(f'{path}: per = {policy.per!r}; use "day" or "hour"')
    if policy.choose not in CHOICES:
        raise PolicyError(f'{path}: choose = {policy.choose!r}; use "last" or "best"')
    numbers = ("penalty_percent", "grace_minutes", "floor_percent", "accept_late_days")
    for name in numbers:
        value = getattr(policy, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicyError(f"{path}: {name} must be a number of 0 or more, not {value!r}")
    if policy.floor_percent > 100:
        raise PolicyError(f"{path}: floor_percent is at most 100")
    return policy


@dataclass(frozen=True)
class Candidate:
    """One commit before the cut-off: when, how late, and its raw score (None: not graded)."""

    sha: str
    late: timedelta
    raw: float | None
    order: int  # 0 is the newest commit


def choose(candidates: list[Candidate], policy: Policy) -> Candidate | None:
    """The commit that counts: the newest, or the one with the highest score after the penalty
    (the newest of equals). None when there is no commit before the cut-off."""
    if not candidates:
        return None
    if policy.choose == "last":
        return min(candidates, key=lambda c: c.order)
    graded = [c for c in candidates if c.raw is not None]
    if not graded:
        return min(candidates, key=lambda c: c.order)
    return max(graded, key=lambda c: (policy.final(c.raw or 0.0, c.late), -c.order))
