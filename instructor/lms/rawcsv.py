"""A CSV file kept as its bytes: every field as written (quotes included), every line ending,
the byte order mark and the encoding, so that a file an LMS exported can be written back with
one column filled and every other byte unchanged.

The standard ``csv`` module gives values, not the text they came from: writing its rows back
re-quotes fields, turns ``\\r\\n`` into one kind of line ending and drops a byte order mark,
which is enough for an LMS to see every column as changed.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

# The byte order marks LMS exports use (Blackboard's tab-separated download is UTF-16).
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass
class Record:
    """One line of the file: its fields exactly as written, and the line ending after it."""

    raw: list[str]
    end: str = "\r\n"

    def values(self) -> list[str]:
        """The fields' values: quotes removed, doubled quotes made single."""
        return [unquote(text) for text in self.raw]


@dataclass
class Table:
    """A whole CSV file, kept so that ``to_bytes`` gives back the bytes ``parse`` read."""

    records: list[Record]
    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bytes = b""
    quote_all: bool = False  # every header field quoted: new fields are quoted too
    newline: str = "\r\n"

    @property
    def header(self) -> list[str]:
        return self.records[0].values() if self.records else []

    def quote(self, value: str) -> str:
        """A new field, quoted as this file quotes: always when every header field is quoted,
        else only when its value needs it."""
        needs = any(c in value for c in (self.delimiter, '"', "\r", "\n")) or value != value.strip()
        if self.quote_all or needs:
            return '"' + value.replace('"', '""') + '"'
        return value

    def column(self, name: str) -> int | None:
        """The index of the column headed ``name``, or None."""
        header = self.header
        return header.index(name) if name in header else None

    def set_cell(self, row: int, column: int, value: str) -> None:
        """Write one field; a short row is padded with empty fields first."""
        record = self.records[row]
        while len(record.raw) <= column:
            record.raw.append("")
        record.raw[column] = self.quote(value)

    def add_column(self, name: str) -> int:
        """Append a column headed ``name`` (rows get an empty field) and return its index."""
        index = max(len(r.raw) for r in self.records) if self.records else 0
        for number, record in enumerate(self.records):
            while len(record.raw) < index:
                record.raw.append("")
            record.raw.append(self.quote(name) if number == 0 else ("" if not self.quote_all else '""'))
        return index

    def to_bytes(self) -> bytes:
        text = "".join(self.delimiter.join(r.raw) + r.end for r in self.records)
        return self.bom + text.encode(self.encoding)


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def decode(data: bytes) -> tuple[str, str, bytes]:
    """(text, encoding, byte order mark) of a file's bytes."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding), encoding, bom
    return data.decode("utf-8"), "utf-8", b""


def parse(data: bytes, delimiter: str | None = None) -> Table:
    """Split a CSV file into records of raw fields (RFC 4180 quoting; any line ending)."""
    text, encoding, bom = decode(data)
    first_line = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = "\t" if "\t" in first_line else ","
    records: list[Record] = []
    fields: list[str] = []
    start = position = 0
    quoted = False
    size = len(text)
    while position < size:
        char = text[position]
        if quoted:
            if char == '"':
                if position + 1 < size and text[position + 1] == '"':
                    position += 2
                    continue
                quoted = False
            position += 1
            continue
        if char == '"' and position == start:
            quoted = True
        elif char == delimiter:
            fields.append(text[start:position])
            start = position + 1
        elif char in "\r\n":
            end = "\r\n" if text.startswith("\r\n", position) else char
            fields.append(text[start:position])
            records.append(Record(fields, end))
            fields = []
            position += len(end)
            start = position
            continue
        position += 1
    if start < size or fields:
        fields.append(text[start:])
        records.append(Record(fields, ""))
    endings = [r.end for r in records if r.end]
    header = records[0].raw if records else []
    return Table(
        records,
        delimiter,
        encoding,
        bom,
        quote_all=bool(header) and all(f.startswith('"') for f in header),
        newline=endings[0] if endings else "\r\n",
    )


def read(path: Path, delimiter: str | None = None) -> Table:
    return parse(path.read_bytes(), delimiter)


def new_table(header: list[str], delimiter: str = ",", quote_all: bool = False, newline: str = "\r\n") -> Table:
    """An empty table with one header line, quoted as asked."""
    table = Table([], delimiter, quote_all=quote_all, newline=newline)
    table.records.append(Record([table.quote(name) for name in header], newline))
    return table


def append_row(table: Table, values: list[str]) -> int:
    """Add a line of values (quoted as the table quotes) and return its index."""
    if table.records and not table.records[-1].end:
        table.records[-1].end = table.newline  # the file's last line had no line ending
    table.records.append(Record([table.quote(v) for v in values], table.newline))
    return len(table.records) - 1
