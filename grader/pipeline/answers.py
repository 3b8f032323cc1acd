"""Parse the learner's checkpoint answer file (exercises/checkpoint.md) without ever raising.

Multiple-choice answers are read out of an answer's text by ``grader.pipeline.choice``.
"""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Every pattern here runs in the grader's own process on text the learner wrote, so each one is
# linear in its input: no two unbounded white-space quantifiers side by side or nested (they
# backtrack over a long run of spaces in quadratic time), and white space is skipped with str
# methods instead. Lines are recognised by their first MATCHED_CHARS characters only.
MATCHED_CHARS = 200
# Reading a sheet stops after this long (checked between lines); a linear parse of the largest
# file allowed takes a small fraction of it.
PARSE_SECONDS = 5.0
# "## " after at most three spaces, not "###".
_H2_RE = re.compile(r"\s{0,3}##(?!#)")
# The question id at the start of a heading, white space already collapsed to single spaces;
# "Checkpoint Q1", "checkpoint_q1" and "checkpoint-q1" are accepted too because learners retype headings.
_ID_RE = re.compile(r"([A-Za-z]+) ?[. _-] ?[Qq] ?(\d+)\b")
_EMPHASIS = ("**", "__", "*", "_")
_SOLUTION_MARKER_RE = re.compile(r"### (?:BEGIN|END) SOLUTION\b")
# An option of a multiple-choice question, once a list mark and white space are skipped: "A) ", "(b) ", "C. ".
_OPTION_RE = re.compile(r"\(?([A-Za-z])[).]")


@dataclass(frozen=True)
class Answer:
    """One answer: the text after "Answer:" (free text may span lines), its 1-based line, and
    the option letters the question itself lists above it ("" when it lists none)."""

    question_id: str
    text: str
    line: int
    options: str = ""


@dataclass(frozen=True)
class AnswerProblem:
    """Something wrong with the file (question_id None) or with one question's answer."""

    question_id: str | None
    line: int | None
    message: str


@dataclass
class AnswerSheet:
    """All answers found in one file plus the problems met while reading it."""

    path_label: str
    answers: dict[str, Answer] = field(default_factory=dict)
    problems: list[AnswerProblem] = field(default_factory=list)

    def problem_for(self, question_id: str) -> AnswerProblem | None:
        """The problem for this question, or a file-wide problem, or None."""
        for problem in self.problems:
            if problem.question_id is None or problem.question_id == question_id:
                return problem
        return None


@dataclass
class _Section:
    """A question section while parsing: its heading line and its body lines."""

    question_id: str
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)


def file_and_line(label: str, line: int | None) -> str:
    """Message prefix naming the file, and the line when there is one."""
    return f"{label} line {line}" if line is not None else label


def collapsed(text: str, limit: int = MATCHED_CHARS) -> str:
    """The first ``limit`` characters of ``text``, trimmed, every white-space run made one space."""
    return " ".join(text[:limit].split())


def normalise_question_id(heading: str) -> str | None:
    """Question id at the start of a heading's text ("Checkpoint Q1: x" -> "checkpoint.q1")."""
    match = _ID_RE.match(collapsed(heading))
    if match is None:
        return None
    return f"{match.group(1).lower()}.q{int(match.group(2))}"


def _read_text(path: Path, label: str, max_bytes: int) -> str | AnswerProblem:
    """The file's text, or a file-wide problem explaining why it cannot be used."""

    def problem(line: int | None, message: str) -> AnswerProblem:
        return AnswerProblem(None, line, f"{file_and_line(label, line)}: {message}")

    try:
        if not path.exists():
            return problem(None, "the file was not found. Restore it from git and write your answers in it.")
        if not path.is_file():
            return problem(None, "this is not a regular file. It must be the Markdown file with your answers.")
        with path.open("rb") as handle:
            # Read one byte past the limit: enough to tell "too large" without loading 50 MB.
            data = handle.read(max_bytes + 1)
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL character
        return problem(None, f"the file could not be read ({error}).")
    if len(data) > max_bytes:
        return problem(None, f"the file is larger than {max_bytes:,} bytes. Keep only your answers in it.")
    if b"\0" in data:
        return problem(None, "the file is binary, not text. Save it as plain text (Markdown).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return problem(line, "this line is not valid UTF-8 text. Save the file with UTF-8 encoding.")
    text = text.removeprefix("\ufeff")  # editors on Windows may add a byte order mark
    if not text.strip():
        return problem(
            None,
            "the file is empty. Restore the template from git and write your answers in it.",
        )
    return text


def heading_text(line: str) -> str | None:
    """The text of a level-2 heading line ("## checkpoint.q1: x" -> "checkpoint.q1: x"), else None."""
    start = line[:MATCHED_CHARS]
    match = _H2_RE.match(start)
    return None if match is None else line[match.end() :].strip()


def _after_emphasis(text: str) -> str:
    """``text`` without one leading Markdown emphasis mark ("**", "__", "*" or "_")."""
    for mark in _EMPHASIS:
        if text.startswith(mark):
            return text[len(mark) :]
    return text


def answer_label_end(line: str) -> int | None:
    """Where the answer starts on an "Answer:" line ("**Answer:**", "Answer :" ...), else None."""
    start = line[:MATCHED_CHARS]
    rest = _after_emphasis(start.lstrip())
    if rest[:6].lower() != "answer":
        return None
    rest = _after_emphasis(rest[6:].lstrip()).lstrip()
    if not rest.startswith(":"):
        return None
    return len(start) - len(_after_emphasis(rest[1:]))


def _is_comment(line: str) -> bool:
    """A line that carries no answer: a one-line HTML comment, or a solution marker of the
    reference file (so solutions/checkpoint.md can be graded like a learner's file)."""
    text = line.strip()
    if text.startswith("<!--") and text.endswith("-->") and len(text) >= 7:
        return True
    return _SOLUTION_MARKER_RE.match(text[:MATCHED_CHARS]) is not None


def _is_rule(line: str) -> bool:
    """A thematic break ("---", "* * *", "___")."""
    marks = "".join(line.split())
    return len(marks) >= 3 and marks[0] in "-*_" and marks == marks[0] * len(marks)


def _sections(lines: list[str], deadline: float | None = None) -> tuple[list[_Section], list[_Section]]:
    """Split lines into question sections: (first section per id, later duplicates).

    Raises TimeoutError once ``deadline`` (``time.monotonic``) has passed."""
    first: dict[str, _Section] = {}
    duplicates: list[_Section] = []
    current: _Section | None = None
    for number, line in enumerate(lines, start=1):
        if deadline is not None and number % 256 == 0 and time.monotonic() > deadline:
            raise TimeoutError(f"reading stopped at line {number}")
        heading = heading_text(line)
        if heading is not None:
            # Any level-2 heading closes the current section; an unknown one is skipped.
            question_id = normalise_question_id(heading)
            current = _Section(question_id, number) if question_id else None
            if current is not None:
                if question_id in first:
                    duplicates.append(current)
                else:
                    first[question_id] = current
            continue
        if current is not None and not _is_comment(line):
            current.body.append((number, line))
    return list(first.values()), duplicates


def _answer_of(section: _Section) -> Answer | None:
    """The answer in a section: rest of the "Answer:" line plus the lines after it."""
    for index, (number, line) in enumerate(section.body):
        end = answer_label_end(line)
        if end is not None:
            rest = [line[end:]] + [text for _, text in section.body[index + 1 :]]
            # A trailing "---" separating sections is layout, not part of the answer.
            while rest and (not rest[-1].strip() or _is_rule(rest[-1])):
                rest.pop()
            return Answer(section.question_id, "\n".join(rest).strip(), number, _options_of(section.body[:index]))
    return None


def _options_of(body: list[tuple[int, str]]) -> str:
    """The option letters listed in a question's text, in order, once each ("" when none)."""
    letters: list[str] = []
    for _, line in body:
        letter = _option_letter(line)
        if letter and letter not in letters:
            letters.append(letter)
    return "".join(letters)


def _option_letter(line: str) -> str:
    """The letter of an option line ("A) text", "(b) text", "C. text", "- D) text"), else ""."""
    text = line[:MATCHED_CHARS].lstrip()
    if text[:1] in ("-", "*", "+") and text[1:2].isspace():
        text = text[1:].lstrip()
    match = _OPTION_RE.match(text)
    if match is None:
        return ""
    after = text[match.end() :]
    return match.group(1).upper() if after[:1].isspace() and after.strip() else ""


def read_answer_sheet(
    path: Path, question_ids: list[str], *, label: str | None = None, max_bytes: int = 1_000_000
) -> AnswerSheet:
    """Read the answers to `question_ids` from `path`; bad input becomes problems, never errors."""
    sheet = AnswerSheet(label or path.name)
    text = _read_text(path, sheet.path_label, max_bytes)
    if isinstance(text, AnswerProblem):
        # A file-wide problem stands for every question: no per-question noise on top.
        sheet.problems.append(text)
        return sheet
    try:
        sections, duplicates = _sections(text.splitlines(), time.monotonic() + PARSE_SECONDS)
    except TimeoutError as stopped:
        why = f"{sheet.path_label}: the file took too long to read ({stopped}). Keep only your answers in it."
        sheet.problems.append(AnswerProblem(None, None, why))
        return sheet
    by_id = {section.question_id: section for section in sections}
    wanted = set(question_ids)
    for duplicate in duplicates:
        if duplicate.question_id in wanted:
            first_line = by_id[duplicate.question_id].line
            sheet.problems.append(
                AnswerProblem(
                    duplicate.question_id,
                    duplicate.line,
                    f"{file_and_line(sheet.path_label, duplicate.line)}: there is a second section for "
                    f"{duplicate.question_id} (the first is on line {first_line}). Only the first one "
                    "is marked: delete the extra one.",
                )
            )
    for question_id in question_ids:
        section = by_id.get(question_id)
        if section is None:
            sheet.problems.append(
                AnswerProblem(
                    question_id,
                    None,
                    f"{sheet.path_label}: no section '## {question_id}' was found. Keep the heading "
                    f"'## {question_id}: ...' from the template and write your answer below it.",
                )
            )
            continue
        answer = _answer_of(section)
        if answer is None:
            sheet.problems.append(
                AnswerProblem(
                    question_id,
                    section.line,
                    f"{file_and_line(sheet.path_label, section.line)}: the section for {question_id} has no "
                    '"Answer:" line. Add a line that starts with "Answer:" followed by your answer.',
                )
            )
            continue
        sheet.answers[question_id] = answer
    return sheet


def read_written(sheet: AnswerSheet, question_id: str) -> tuple[str | None, AnswerProblem | None]:
    """(text, None) for a non-empty written answer, else (None, a problem to show)."""
    problem = sheet.problem_for(question_id)
    if problem is not None:
        return None, problem
    answer = sheet.answers.get(question_id)
    if answer is None:
        return None, AnswerProblem(question_id, None, f"{sheet.path_label}: {question_id} was not read.")
    if not answer.text:
        return None, AnswerProblem(
            question_id,
            answer.line,
            f"{file_and_line(sheet.path_label, answer.line)}: the answer to {question_id} is empty. "
            'Write your answer after "Answer:" (it may take several lines).',
        )
    return answer.text, None


# --- the template's questions and the answer key ----------------------------------------


@dataclass(frozen=True)
class Question:
    """One question as the template states it: its id, heading and the text above "Answer:"."""

    id: str
    heading: str
    text: str


def read_questions(text: str) -> list[Question]:
    """The questions of a checkpoint file, in order, parsed as the learner's answers are."""
    lines = text.splitlines()
    sections, _ = _sections(lines)
    found = []
    for section in sections:
        heading = heading_text(lines[section.line - 1])
        body: list[str] = []
        for _, line in section.body:
            if answer_label_end(line) is not None:
                break
            body.append(line)
        found.append(Question(section.question_id, heading or "", "\n".join(body).strip()))
    return found


def read_answer_key(path: Path) -> dict[str, dict[str, Any]]:
    """The answer key by question id, {} when the file is absent.

    Both ``["checkpoint.q1"]`` (one quoted name) and ``[checkpoint.q1]`` (TOML's nested tables)
    name the same question.
    """
    if not path.is_file():
        return {}
    key: dict[str, dict[str, Any]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for name, entry in table.items():
            if isinstance(entry, dict):
                if "answer" in entry:
                    key[prefix + name] = entry
                else:
                    walk(f"{prefix}{name}.", entry)

    walk("", tomllib.loads(path.read_text(encoding="utf-8")))
    return key
