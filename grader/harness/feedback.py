"""Failure messages a beginner can act on: what was called, what came back, what was expected, why."""

from __future__ import annotations

import reprlib
from typing import Any

from _pytest.outcomes import Failed

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlist = 8
_short.maxdict = 6
_short.maxlevel = 3


def show(value: Any) -> str:
    """A short, readable repr for messages."""
    return _short.repr(value)


class Feedback(Failed):
    """A test failure explained for the learner.

    Every learner-facing failure is one of these; anything else escaping a test is a bug
    in the grader and is reported as such. It is pytest's own "failed" outcome without a
    traceback (pytrace=False): the message says everything, and pytest skips the costly
    formatting of frames nobody reads (about 0.1 s per failure).
    """

    def __init__(self, called: str, got: str, expected: str, why: str = "") -> None:
        self.called = called
        self.got = got
        self.expected = expected
        self.why = why
        super().__init__(self.text(), pytrace=False)

    def text(self) -> str:
        """The message as the learner reads it."""
        lines = [f"Called {_end(self.called)}", f"It {_end(self.got)}", f"Expected {_end(self.expected)}"]
        if self.why:
            lines.append(f"Why it matters: {_end(self.why)}")
        return "\n".join(lines)


def _end(text: str) -> str:
    """End a sentence with exactly one full stop."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


class Opaque:
    """A value of a type the grader does not accept (e.g. an object claiming to equal anything)."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{self.type_name} object: {self.text}>"


class Missing:
    """An attribute the learner's object does not have."""

    def __init__(self, error: str) -> None:
        self.error = error

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<missing: {self.error}>"


def decode(description: Any) -> Any:
    """Turn the worker's typed description back into plain Python values."""
    if not isinstance(description, dict):
        return Opaque("?", "malformed answer from the worker")
    kind = description.get("t")
    if kind == "none":
        return None
    if kind in ("bool", "float", "str") or (kind == "int" and not description.get("big")):
        value = description.get("v")
        expected = {"bool": bool, "float": (float, str), "str": str, "int": int}[kind]
        return value if isinstance(value, expected) else Opaque(kind, "malformed")
    if kind == "int":
        return int(description.get("v", "0"))
    if kind == "bytes":
        return str(description.get("v", "")).encode()
    if kind in ("list", "tuple"):
        items = [decode(item) for item in description.get("items", [])]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        result: dict[Any, Any] = {}
        for pair in description.get("items", []):
            key = decode(pair[0])
            try:
                result[key] = decode(pair[1])
            except TypeError:  # unhashable key: keep it visible but unusable
                result[repr(key)] = decode(pair[1])
        return result
    if kind == "attrs":
        return {name: decode(value) for name, value in description.get("items", {}).items()}
    if kind == "missing":
        return Missing(str(description.get("error", "")))
    return Opaque(str(description.get("type", "?")), str(description.get("repr", "")))


def type_name(value: Any) -> str:
    """The learner-facing name of a decoded value's type."""
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, Missing):
        return "missing attribute"
    return type(value).__name__
