"""The one sanitiser for learner text: every string that comes from learner code or learner
files passes through here before it reaches results.json, a console, feedback.md, a CSV
file, a platform's output or the class report.

What it guards against:
- terminal escape sequences (screen reset, window title, hyperlinks, clipboard writes):
  every C0 and C1 control character except newline and tab, and DEL, is shown as a visible
  ``\\x1b``-style escape instead of being sent to a terminal;
- text direction overrides (the "Trojan source" characters) that make a line read
  differently from what it holds: shown the same way;
- lone surrogates, which cannot be encoded: replaced by U+FFFD;
- Markdown fences a message could close: ``fence`` picks a fence longer than any backtick
  run inside;
- spreadsheet formulas in CSV cells: ``csv_cell`` prefixes an apostrophe (OWASP's advice).
"""

from __future__ import annotations

import html
import re
from typing import Any

# C0 controls but tab and newline, DEL, and C1 controls; then the bidirectional overrides
# and isolates (U+202A-U+202E, U+2066-U+2069) and lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: Any) -> str:
    """``text`` as a str safe to print or store: unsafe characters made visible."""
    if not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub(_visible, text)


def clean_tree(value: Any) -> Any:
    """``value`` with every string in it (keys included) cleaned; other values unchanged."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_tree(key): clean_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(item) for item in value]
    return value


def one_line(text: Any, limit: int = 200) -> str:
    """Cleaned text on one line (newlines and tabs as spaces), cut to ``limit`` characters."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fence(text: Any, info: str = "text") -> str:
    """A Markdown code block holding ``text`` that nothing inside it can close."""
    body = clean(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{body}\n{marks}"


def html_text(text: Any) -> str:
    """Cleaned text escaped for HTML element content and quoted attribute values."""
    return html.escape(clean(text), quote=True)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text cleaned, and shown as text by a spreadsheet, never run as a formula."""
    if not isinstance(value, str):
        return value
    value = clean(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown_text(text: Any) -> str:
    """Cleaned text that Markdown shows as written: no emphasis, link, image, heading, list,
    quote or raw HTML can start in it; its line breaks are kept as hard breaks."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", clean(text)).replace("&", "&amp;").replace("<", "&lt;")
    return "  \n".join(escaped.splitlines())
