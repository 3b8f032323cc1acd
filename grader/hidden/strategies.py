"""Hypothesis strategies for the hidden tests: readable users and notes, many keys, 1-8 shards.

A failing check quotes the values it used, and a beginner has to read them: user ids (the
partition keys) are letters, digits and a few safe symbols; notes are words with accented
letters, the non-ASCII text the bytes-versus-characters clause needs (2 bytes each in UTF-8).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

ACTIONS = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]

ID_CHARACTERS = string.ascii_letters + string.digits + "-_.@"
ACCENTED_LETTERS = "éèêàâçëïîôöüùñßøåÉÖÜ"  # 2 UTF-8 bytes each
NOTE_CHARACTERS = string.ascii_letters + string.digits + " .,!-" + ACCENTED_LETTERS

# Kinesis takes partition keys of 1-256 characters.
user_ids = st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=12)
_words = st.text(alphabet=NOTE_CHARACTERS, max_size=11)
# Empty, or with at least one accented letter: every example that has a note tells bytes from characters.
notes = st.just("") | st.builds("".join, st.tuples(_words, st.sampled_from(ACCENTED_LETTERS), _words))
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
