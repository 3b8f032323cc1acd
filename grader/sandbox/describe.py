"""Describing what learner code returns, raises or is given, as JSON with exact types, in a child.

``describe`` names a value's exact type (a subclass of ``int`` counts as "other"), so the
trusted side can tell a real ``int`` from an object that only claims to equal everything,
and cuts long values to ``MAX_ITEMS`` items and ``MAX_TEXT`` characters; what of learner
code it calls (a ``__repr__``, an exception's ``__str__``) may raise anything (``printable``).
``describe_exception`` says where in the learner's files an exception came from, without
the grader's private folder.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Bound early: learner code may later replace builtins such as type or repr.
_type, _repr, _isinstance, _len, _str = type, repr, isinstance, len, str
MAX_ITEMS = 2000
MAX_TEXT = 4000


def describe(value: Any, depth: int = 0) -> dict[str, Any]:
    """Describe ``value`` as JSON with its exact type (subclasses count as 'other')."""
    kind = _type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return (
            {"t": "int", "v": value} if -(2**63) <= value < 2**63 else {"t": "int", "v": _str(value)[:60], "big": True}
        )
    if kind is float:
        return {"t": "float", "v": value if math.isfinite(value) else _repr(value)}
    if kind is str:
        return {"t": "str", "v": value[:MAX_TEXT], "cut": _len(value) > MAX_TEXT}
    if kind is bytes:
        return {"t": "bytes", "v": value[:MAX_TEXT].decode("utf-8", "replace"), "len": _len(value)}
    if depth < 6 and kind in (list, tuple):
        return {
            "t": kind.__name__,
            "items": [describe(item, depth + 1) for item in value[:MAX_ITEMS]],
            "len": _len(value),
        }
    if depth < 6 and kind is dict:
        items = list(value.items())[:MAX_ITEMS]
        return {"t": "dict", "items": [[describe(k, depth + 1), describe(v, depth + 1)] for k, v in items]}
    return {"t": "other", "type": printable(lambda: kind.__qualname__), "repr": printable(lambda: _repr(value))[:200]}


def printable(get: Callable[[], str]) -> str:
    try:
        return _str(get())
    except BaseException as error:  # a hostile __repr__ may raise anything
        return f"<unprintable: {_type(error).__name__}>"


def describe_exception(error: BaseException, exercises: Path) -> dict[str, Any]:
    """Describe an exception and where in the learner's files it came from."""
    frames = []
    root = _str(exercises)
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith(root):
            frames.append(
                {
                    "file": Path(frame.filename).name,
                    "line": frame.lineno,
                    "function": frame.name,
                    "code": (frame.line or "")[:200],
                }
            )
    if _isinstance(error, SyntaxError) and error.lineno:
        frames.append(
            {
                "file": Path(error.filename or "?").name,
                "line": error.lineno,
                "function": "<module>",
                "code": (error.text or "").strip()[:200],
            }
        )
    # Never show the grader's private folder: the learner knows the file as exercises/<name>.
    text = error.msg if _isinstance(error, SyntaxError) else printable(lambda: _str(error))
    message = _str(text)[:MAX_TEXT].replace(root + "/", "exercises/")
    return {"type": printable(lambda: _type(error).__name__), "message": message, "frames": frames[-5:]}
