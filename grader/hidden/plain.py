"""ASCII versions of generated events, for the checks of every clause but the bytes clauses.

Only the checks of counters.bytes and read_shard.counters send non-ASCII text: a producer
or consumer that counts characters instead of bytes then loses points on that clause
alone. Escaping (``é`` -> ``\\xe9``) keeps distinct values distinct.
"""

from __future__ import annotations

from typing import Any


def plain_text(text: str) -> str:
    """``text`` with every non-ASCII character written as a backslash escape."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def plain(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with every text field made ASCII."""
    return [{k: plain_text(v) if isinstance(v, str) else v for k, v in e.items()} for e in events]
