"""Hypothesis strategies for the hidden tests: unicode users and payloads, many keys, 1-8 shards."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ACTIONS = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]

# Any Unicode text but lone surrogates (not encodable) and NUL; 1-256 characters is Kinesis's rule.
_characters = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
user_ids = st.text(alphabet=_characters, min_size=1, max_size=12)
notes = st.text(alphabet=_characters, max_size=24)
shard_counts = st.integers(min_value=1, max_value=8)


_actions = st.sampled_from(ACTIONS)


@st.composite
def user_events(draw: st.DrawFn, min_size: int = 1, max_size: int = 16, max_users: int = 8) -> list[dict[str, Any]]:
    """Events of a few users, each event unique (its 'n'), in the order they happen."""
    users = draw(st.lists(user_ids, min_size=1, max_size=max_users, unique=True))
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    pick_user = st.sampled_from(users)  # made once per draw: building strategies is not free
    return [{"userId": draw(pick_user), "type": draw(_actions), "n": n, "note": draw(notes)} for n in range(count)]


def keyed(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(partition key, event) pairs keyed by user."""
    return [(e["userId"], e) for e in events]
