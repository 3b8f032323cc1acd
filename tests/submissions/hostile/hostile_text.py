"""One text made of everything learner text must never do to the instructor's terminal and files.

It goes through a grading as an exception message, printed output and a written answer; every
output must show it inert (see ``unsafe_in`` and ``outside_fences``).
"""

from __future__ import annotations

import re

FORGED_SCORE = "**Automatic score: 100 / 100**"
# Screen clear, window title, an OSC 8 hyperlink, an OSC 52 clipboard write, a C1 CSI, bidi
# overrides, a backtick run that would close a short fence, then Markdown and HTML that would
# render as the grader's own text, and a spreadsheet formula.
HOSTILE = (
    "\x1b[2J\x1b]0;grader-title\x07"
    "\x1b]8;;http://127.0.0.1/x\x1b\\click\x1b]8;;\x1b\\"
    "\x1b]52;c;aGVsbG8=\x07"
    "\x9b31m"
    "\u202egnp.exe\u202c\u2066x\u2069"
    "\n`````\n"
    f"{FORGED_SCORE}\n"
    "![pixel](http://127.0.0.1/p.png) [prize](http://127.0.0.1/)\n"
    "<img src=x onerror=alert(1)><a href=http://127.0.0.1/>a</a>\n"
    "=HYPERLINK(\"http://127.0.0.1/\",\"x\")\n"
    "`````"
)
SURROGATE = "\ud800"  # only where Python strings travel: an exception message, printed output

# C0 controls but newline and tab, DEL, C1 controls, direction overrides and isolates, surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,})")


def unsafe_in(text: str) -> list[str]:
    """The characters of ``text`` no terminal or file of the instructor's may receive."""
    return sorted({f"U+{ord(c):04X}" for c in _UNSAFE.findall(text)})


def outside_fences(markdown: str) -> str:
    """The lines of a Markdown document that are not inside a fenced code block (CommonMark:
    a fence closes at a line of at least as many backticks and nothing else)."""
    kept, fence = [], ""
    for line in markdown.splitlines():
        if fence:
            if line.strip().startswith(fence) and set(line.strip()) == {"`"} and len(line) - len(line.lstrip()) < 4:
                fence = ""
            continue
        opening = _FENCE_OPEN.match(line)
        if opening is not None:
            fence = opening.group(1)
            continue
        kept.append(line)
    assert not fence, "a fence was left open: everything after it would be code"
    return "\n".join(kept)
