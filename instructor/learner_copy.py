"""The learner's copy of the project's own files, and the scan for instructor material in a release.

Instructor material is whatever needs, or names, something learners do not get: the
reference (``solutions/``), the self-tests, the instructor's virtual environments, the
kinesalite install the self-tests use, the instructor's tools and targets. The Makefile,
``pyproject.toml`` and ``.gitignore`` are shipped without it; ``instructor_material`` finds
any that is left, in any file of a release outside ``grader/`` (the grader ships whole but
its secrets, and its sandbox and lists must name what they keep out; what it shows learners,
its commands' help, is checked by the release self-test), so the release refuses to go out.
"""

from __future__ import annotations

import re

# What instructor material looks like, and what it is, for the release's message.
INSTRUCTOR_MATERIAL: dict[str, str] = {
    r"\bsolutions\b": "the reference (solutions/)",
    r"selftest|self-test": "the project's self-tests",
    r"tests/(unit|mutants|golden|submissions)\b": "the instructor's tests",
    r"\bvenv-[a-z]|\bSYSTEM_|\bINSTRUCTOR_": "the instructor's virtual environments (.venv-system and the like)",
    r"kinesalite@|\.kinesalite|KINESALITE": "the kinesalite install of the self-tests",
    r"\binstructor\.[a-z_]|\binstructor/": "the instructor's tools (instructor/)",
    r"## \(instructor\)": "an instructor target",
    r"nbgrader|requirements-[a-z]|TOOLS_STAMP": "the instructor's tools",
}
_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in INSTRUCTOR_MATERIAL))
_RULE = re.compile(r"^([A-Za-z0-9_.$()-]+)\s*:(?!=)")
_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|\+=|=)")


def is_instructor_material(text: str) -> bool:
    """Whether ``text`` needs or names something that is not in the learner's copy."""
    return _PATTERN.search(text) is not None


def instructor_material(relative: str, text: str) -> list[str]:
    """One message per line of a release file that names instructor material."""
    if relative.startswith("grader/"):
        return []
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, what in INSTRUCTOR_MATERIAL.items():
            if re.search(pattern, line):
                found.append(f"{relative}:{number}: names {what}: {line.strip()[:80]!r}")
                break
    return found


def _makefile_chunks(text: str) -> list[str]:
    """The Makefile in pieces that stay or go together: the comment lines right above a rule or
    a variable go with it, and a rule's recipe lines with the rule."""
    chunks: list[list[str]] = []
    comments: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("\t") and chunks and not comments:
            chunks[-1].append(line)
        elif line.startswith("#"):
            comments.append(line)
        elif not line.strip():
            chunks += [comments, [line]] if comments else [[line]]
            comments = []
        else:
            chunks.append([*comments, line])
            comments = []
    if comments:
        chunks.append(comments)
    return ["".join(chunk) for chunk in chunks if chunk]


def learner_makefile(text: str) -> str:
    """The Makefile without what needs instructor material: instructor targets, rules whose
    recipes use it, variables and comments that name it, and the uses of dropped variables."""
    kept, dropped_rules, dropped_variables = [], set(), set()
    for chunk in _makefile_chunks(text):
        statement = next((line for line in chunk.splitlines() if not line.startswith("#")), "")
        rule = _RULE.match(statement)
        if rule and rule.group(1) == ".PHONY":
            kept.append(chunk)
        elif is_instructor_material(chunk):
            if rule:
                dropped_rules.add(rule.group(1))
            elif variable := _VARIABLE.match(statement):
                dropped_variables.add(variable.group(1))
        else:
            kept.append(chunk)
    text = "".join(_without_phony(chunk, dropped_rules) for chunk in kept)
    for name in dropped_variables:  # e.g. CODE_OPTION, empty for learners anyway
        text = re.sub(rf"[ \t]*\$\({name}\)", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def _without_phony(chunk: str, dropped: set[str]) -> str:
    """A .PHONY line without the dropped targets (gone entirely when none is left)."""
    phony = re.match(r"^\.PHONY\s*:(.*)$", chunk.rstrip("\n"))
    if not phony:
        return chunk
    names = [name for name in phony.group(1).split() if name not in dropped]
    return f".PHONY: {' '.join(names)}\n" if names else ""


def learner_lines(text: str) -> str:
    """A line-by-line file (``.gitignore``) without the lines that name instructor material."""
    return "".join(line for line in text.splitlines(keepends=True) if not is_instructor_material(line))


def learner_pyproject(text: str) -> str:
    """pyproject.toml without the settings that name instructor material, and without the
    tables they leave empty (``[tool.pytest.ini_options]`` with its ``testpaths``)."""
    tables: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            tables.append([])
        if not is_instructor_material(line):
            tables[-1].append(line)
    kept = [
        table
        for table in tables
        if not table or not table[0].startswith("[") or any(line.strip() for line in table[1:])
    ]
    return re.sub(r"\n{3,}", "\n\n", "".join("".join(table) for table in kept)).rstrip("\n") + "\n"
