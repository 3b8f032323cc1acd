"""The values the hidden checks generate, as a failing check quotes them, are readable by a beginner."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

strategies = pytest.importorskip("grader.hidden.strategies", reason="the hidden tests are not in this copy")

READABLE_ID = re.compile(r"[A-Za-z0-9._@-]+")


@settings(max_examples=200, derandomize=True, database=None)
@given(events=strategies.user_events(max_size=16, max_users=8), key=strategies.user_ids)
def test_user_ids_and_notes_read_as_themselves(events, key):
    """A message shows an event with repr(): no escape such as '\\x0c' or '\\U0002fa86' may appear,
    user ids are ASCII letters, digits and ._@-, and the only non-ASCII characters are the
    accented letters of a note."""
    assert READABLE_ID.fullmatch(key), key
    for event in events:
        assert READABLE_ID.fullmatch(event["userId"]), event
        assert "\\" not in repr(event), repr(event)
        accented = [c for c in event["note"] if not c.isascii()]
        assert all(c in strategies.ACCENTED_LETTERS for c in accented), event


@settings(max_examples=50, derandomize=True, database=None)
@given(note=strategies.notes)
def test_every_note_tells_bytes_from_characters(note):
    """The bytes-versus-characters clause stays checked: a note is empty or has a 2-byte letter."""
    assert note == "" or len(note.encode("utf-8")) > len(note)
