"""CSV text and files for the instructor's reports: every cell through the one sanitiser.

Only the standard library and grader.text_safety: the similarity check imports it from its own
venv, where the grader's dependencies are not installed.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from grader.text_safety import csv_cell


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """A CSV table, each text cell cleaned and never taken for a formula by a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader never sees half of it."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8", newline="")
    os.replace(temp, path)
