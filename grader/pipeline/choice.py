"""Multiple-choice answers of the checkpoint sheet: the one letter a learner chose, never a guess.

The sheet itself is read by ``grader.pipeline.answers``; this reads one letter out of an answer's text.
"""

from __future__ import annotations

import re

from grader.pipeline.answers import AnswerProblem, AnswerSheet, file_and_line

# Each line of an answer is read with every white-space run made one space, so no pattern below
# meets a long run of white space (``answers`` says why); a line still longer than this is no
# clear choice, and no pattern sees it.
CHOICE_LINE_CHARS = 1000
# Words learners put before the letter: "Answer: C", "Option C", "the answer is C".
_PREFIX_RE = re.compile(r"^(?:(?:my|the|final) )?(?:answer|option|choice|letter)\b(?: is\b)? ?[:=-]? ?", re.IGNORECASE)
# Only the letter, maybe in brackets and/or followed by punctuation: "C", "(c)", "C)", "C.".
_BARE_RE = re.compile(r"^[(\[]? ?([A-Za-z]) ?[)\]]? ?[.:!]?$")
# The letter then the option's text, which needs a delimiter so "A consumer ..." is not "A".
_WITH_TEXT_RE = re.compile(r"^[(\[]? ?([A-Za-z]) ?(?:[)\]][.:]?|[.:]|[-\u2013\u2014]+) (\S.*)$", re.DOTALL)
# Signs that the text after the letter names another option: "B) or C)", "B. and C".
_JOINER_RE = re.compile(r"^(?:or|and|&|/|,|\+)(?!\w)", re.IGNORECASE)
# Another option named in the text: "(b)" in any case, "B)" only in capitals since a
# lower-case letter before ")" is usually the end of a word ("see a)").
_OTHER_OPTION_RE = re.compile(r"\(([A-Za-z])\)|(?<![\w'(])([A-Z])\)")
_OR_LETTER_RE = re.compile(r"\b(?:or|and|maybe|also|perhaps) (?:option )?([A-Z])(?![\w'])")


def _choice_in_line(line: str) -> tuple[str, str] | None:
    """(letter, text after it) when a line starts with a choice, else None."""
    line = line.strip()
    for _ in range(3):  # "answer: option C" has two prefixes
        stripped = _PREFIX_RE.sub("", line, count=1)
        if stripped == line:
            break
        line = stripped
    bare = _BARE_RE.match(line)
    if bare is not None:
        return bare.group(1).upper(), ""
    with_text = _WITH_TEXT_RE.match(line)
    if with_text is not None:
        return with_text.group(1).upper(), with_text.group(2)
    return None


def parse_choice(text: str, options: str = "ABCD") -> str | None:
    """The one option letter a learner chose, or None when there is none or it is unclear."""
    allowed = options.upper()
    # Markdown emphasis and code marks ("**C**", "`C`") carry no meaning here.
    cleaned = re.sub(r"[*_`]", "", text)
    lines = [line for line in (" ".join(raw.split()) for raw in cleaned.splitlines()) if line]
    if not lines or any(len(line) > CHOICE_LINE_CHARS for line in lines):
        return None
    first = _choice_in_line(lines[0])
    if first is None or first[0] not in allowed:
        return None
    letter, rest = first
    # Never guess: refuse when the rest names a different option ("B) or C)", "B\nC").
    if _JOINER_RE.match(rest.strip()):
        return None
    for line in [rest, *lines[1:]]:
        later = _choice_in_line(line)
        named = [a or b for a, b in _OTHER_OPTION_RE.findall(line)] + _OR_LETTER_RE.findall(line)
        if later is not None:
            named.append(later[0])
        if any(other.upper() in allowed and other.upper() != letter for other in named):
            return None
    return letter


def _options_phrase(options: str) -> str:
    """ "A, B, C or D" for the messages."""
    letters = list(options.upper())
    return letters[0] if len(letters) == 1 else ", ".join(letters[:-1]) + " or " + letters[-1]


def read_choice(
    sheet: AnswerSheet, question_id: str, options: str | None = None
) -> tuple[str | None, AnswerProblem | None]:
    """(letter, None) for a clear multiple-choice answer, else (None, a problem to show).

    The letters allowed are ``options`` when given, else those the question lists in the
    file itself ("A) ...", "B) ..."), else A to D."""
    problem = sheet.problem_for(question_id)
    if problem is not None:
        return None, problem
    answer = sheet.answers.get(question_id)
    if answer is None:  # only when question_id was not asked for in read_answer_sheet
        return None, AnswerProblem(question_id, None, f"{sheet.path_label}: {question_id} was not read.")
    where = file_and_line(sheet.path_label, answer.line)
    options = options or answer.options or "ABCD"
    phrase = _options_phrase(options)
    if not answer.text:
        return None, AnswerProblem(
            question_id,
            answer.line,
            f'{where}: the answer to {question_id} is empty. Write one letter ({phrase}) after "Answer:".',
        )
    letter = parse_choice(answer.text, options)
    if letter is None:
        shown = answer.text if len(answer.text) <= 40 else answer.text[:37] + "..."
        return None, AnswerProblem(
            question_id,
            answer.line,
            f"{where}: could not read one letter from the answer to {question_id} ({shown!r}). "
            f'Write exactly one letter ({phrase}) after "Answer:".',
        )
    return letter, None
