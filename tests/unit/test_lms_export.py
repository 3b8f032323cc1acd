"""LMS gradebook files: each format against its golden file, the round trip that keeps every
other byte of the LMS's own export, and the learners no file grades listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instructor.lms import export, formats, rawcsv

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "lms"
INPUT = GOLDEN / "input"
# name -> (lms, roster, classroom map, options)
CASES = {
    "canvas": ("canvas", "canvas-export.csv", "classroom-grades.csv", {}),
    "moodle": ("moodle", None, "classroom-grades.csv", {"match": "email", "feedback": True}),
    "moodle-no-map": ("moodle", None, None, {}),
    "moodle-roster": ("moodle", "moodle-export.csv", "classroom-grades.csv", {"feedback": True}),
    "blackboard-tab": ("blackboard", "blackboard-download.xls", "classroom-grades.csv", {"column_id": "4521"}),
    "blackboard": ("blackboard", "blackboard-download.csv", "classroom-grades.csv", {"column_id": "4521"}),
    "blackboard-new": ("blackboard", None, None, {"column_id": "4521"}),
    "classroom": ("classroom", "classroom-grades.csv", None, {}),
}


def _run(name: str, out: Path) -> formats.Export:
    lms, roster, classroom, options = CASES[name]
    return export.export(
        lms,
        INPUT,
        out / f"{name}.csv",
        INPUT / roster if roster else None,
        INPUT / classroom if classroom else None,
        formats.Options(**options),
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_format_matches_its_golden_file(name: str, tmp_path: Path) -> None:
    _run(name, tmp_path)
    for suffix in (".csv", ".unmatched.csv"):
        written, golden = tmp_path / f"{name}{suffix}", GOLDEN / f"{name}{suffix}"
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_bytes(written.read_bytes())
        assert written.read_bytes() == golden.read_bytes(), f"{golden.name} differs: UPDATE_GOLDEN=1 if on purpose"


@pytest.mark.parametrize("name", ["canvas", "blackboard", "blackboard-tab", "moodle-roster", "classroom"])
def test_round_trip_keeps_every_other_column_byte_for_byte(name: str, tmp_path: Path) -> None:
    done = _run(name, tmp_path)
    before = rawcsv.read(INPUT / CASES[name][1])
    after = rawcsv.read(tmp_path / f"{name}.csv")
    assert (after.bom, after.encoding, after.delimiter) == (before.bom, before.encoding, before.delimiter)
    assert len(after.records) == len(before.records)
    changed = set()
    for old, new in zip(before.records, after.records, strict=True):
        assert new.end == old.end
        for index, field in enumerate(old.raw):
            if new.raw[index] != field:
                changed.add(before.header[index])
    filled = {
        "canvas": set(),
        "blackboard": {before.header[-1]},
        "blackboard-tab": {before.header[-1]},
        "moodle-roster": set(),
        "classroom": {"points_awarded", "points_available"},
    }
    assert changed <= filled[name] and bool(changed) == bool(filled[name])
    assert len(after.header) - len(before.header) == {"canvas": 1, "moodle-roster": 2}.get(name, 0)
    assert done.match in before.header


def test_canvas_keeps_identity_columns_and_fills_points_possible(tmp_path: Path) -> None:
    _run("canvas", tmp_path)
    table = rawcsv.read(tmp_path / "canvas.csv")
    assert table.header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table.header[-1] == "Kinesis producers and consumers"
    points = table.records[1].values()
    assert points[0] == "    Points Possible" and points[-1] == "100"
    rows = {r.values()[3]: r.values()[-1] for r in table.records[2:]}
    # ada 100; grace 81 after the late penalty; carol not submitted: 0; dan's grading failed: left blank
    assert rows == {"ada": "100", "grace": "81", "carol": "0", "dan": "", "zoe": "", "": ""}


def test_unmatched_learners_are_listed_never_dropped(tmp_path: Path) -> None:
    done = _run("canvas", tmp_path)
    assert sorted(learner.name for learner in done.not_in_roster) == ["=HYPERLINK(1)", "frank-gh"]
    assert [learner.name for learner in done.not_graded] == ["dan-gh"]
    assert done.without_submission == ["zoe", "Student, Test"]
    listed = (tmp_path / "canvas.unmatched.csv").read_text(encoding="utf-8")
    assert "frank-gh" in listed and "'=HYPERLINK(1)" in listed and "machinery failed" in listed
    assert "\n=" not in listed and ",=" not in listed  # learner text never becomes a formula


def test_moodle_feedback_only_next_to_its_grade(tmp_path: Path) -> None:
    _run("moodle", tmp_path)
    table = rawcsv.read(tmp_path / "moodle.csv")
    assert table.header == ["email", "Kinesis producers and consumers", "Kinesis producers and consumers (feedback)"]
    for record in table.records[1:]:
        _, grade, feedback = record.values()
        assert grade or not feedback


def test_blackboard_header_and_quoting(tmp_path: Path) -> None:
    _run("blackboard-new", tmp_path)
    data = (tmp_path / "blackboard-new.csv").read_text(encoding="utf-8")
    first = data.splitlines()[0]
    assert first == '"Username","Kinesis producers and consumers [Total Pts: 100 Score] |4521"'
    for line in data.splitlines():
        assert all(f.startswith('"') and f.endswith('"') for f in line.split('","'[1:2]))


def test_match_names_a_column_or_the_export_says_which_to_name(tmp_path: Path) -> None:
    with pytest.raises(export.ExportError, match="MATCH="):
        export.export("canvas", INPUT, tmp_path / "c.csv", INPUT / "canvas-export.csv")
    with pytest.raises(export.ExportError, match="not a roster column"):
        export.export(
            "canvas", INPUT, tmp_path / "c.csv", INPUT / "canvas-export.csv", options=formats.Options(match="Email")
        )


_FIELD = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\t;é')), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(_FIELD, min_size=1, max_size=4), min_size=1, max_size=5),
    ending=st.sampled_from(["\r\n", "\n", "\r"]),
    bom=st.booleans(),
    quote_all=st.booleans(),
)
def test_raw_csv_gives_back_the_bytes_it_read(rows: list[list[str]], ending: str, bom: bool, quote_all: bool) -> None:
    table = rawcsv.new_table(rows[0], quote_all=quote_all, newline=ending)
    for row in rows[1:]:
        rawcsv.append_row(table, row)
    data = (b"\xef\xbb\xbf" if bom else b"") + table.to_bytes()
    parsed = rawcsv.parse(data, ",")
    assert parsed.to_bytes() == data
    assert [r.values() for r in parsed.records] == [[*r] for r in rows]


def test_canvas_fills_the_assignment_column_it_already_has(tmp_path: Path) -> None:
    """Once the assignment exists, Canvas's export names it `Title (id)`: that column is filled,
    its Points Possible cell and every other byte kept."""
    table = rawcsv.read(INPUT / "canvas-export.csv")
    column = table.add_column("Kinesis producers and consumers (2002)")
    table.set_cell(1, column, "100.00")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(table.to_bytes())
    export.export("canvas", INPUT, tmp_path / "out.csv", roster, INPUT / "classroom-grades.csv")
    after = rawcsv.read(tmp_path / "out.csv")
    assert after.header == table.header and after.records[1].raw == table.records[1].raw
    assert [r.values()[-1] for r in after.records[2:]] == ["100", "81", "0", "", "", ""]
    for old, new in zip(table.records, after.records, strict=True):
        assert new.raw[:-1] == old.raw[:-1] and new.end == old.end
