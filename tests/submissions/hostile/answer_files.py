"""Answer files made to be slow to parse: long lines, long runs of white space, many headings.

Each is at most ``SIZE`` bytes, under the grader's 1,000,000-byte limit, so the parser reads
all of it. Patterns that put two unbounded white-space quantifiers side by side backtrack over
such runs in quadratic time (a single 200,000-space line then takes minutes).
"""

from __future__ import annotations

SIZE = 990_000
RUN = 100_000  # one long run of white space


def white_space_runs(size: int = SIZE) -> str:
    """Headings, "Answer" labels, options and comments, each followed by a long run of white
    space and then a character that makes the pattern fail at the very end."""
    lines = [
        "## checkpoint" + " " * RUN + "x",
        "##" + " " * RUN + "checkpoint" + " " * RUN,
        "## checkpoint.q1: Producers and consumers",
        "Answer" + " " * RUN + "x",
        "**answer**" + "\t" * RUN + ";",
        "A)" + " " * RUN,
        "<!--" + "-->" * 1000 + " " * RUN + "x",
        "- " * (RUN // 2) + "x",
        "Answer: C" + " " * RUN + "x",
    ]
    text = "\n".join(lines) + "\n"
    return text[:size]


def many_headings(size: int = SIZE) -> str:
    """About 60,000 short headings that almost name a question."""
    block = "## checkpoint   q\n##    checkpoint_ _q x\n## notes\n"
    return (block * (size // len(block)))[:size]


def long_lines(reference: str, size: int = SIZE) -> str:
    """The reference answers, then a section of one very long line and one of white space only."""
    room = max(0, size - len(reference.encode("utf-8")) - 40) // 2
    return reference + "\n## notes\n" + "a " * (room // 2) + "\n" + " " * room + "\n"
