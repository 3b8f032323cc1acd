"""A run's result file is written by the child learner code runs in: whatever it holds, the
runner reads it without raising, and only well-formed lines count."""

from __future__ import annotations

import json

from grader.sandbox import messages


def _lines(*items: object) -> bytes:
    return b"\n".join(item if isinstance(item, bytes) else json.dumps(item).encode() for item in items)


def test_a_well_formed_file_gives_the_step_and_the_ending():
    found = messages.read_result(
        _lines(
            {"step": 0, "calling": "producer.send_event", "key": "send_event"},
            messages.run_done([{"status": "ok"}], 3),
        )
    )
    assert (found.calling, found.calling_key) == ("producer.send_event", "send_event")
    assert found.ending == messages.Ending("done", [{"status": "ok"}], "", 3)


def test_garbage_lines_are_skipped_and_never_raise():
    found = messages.read_result(
        _lines(
            b"not json",
            b"[" * 100_000,  # deeper than the JSON parser recurses
            b"\xff\xfe",
            [1, 2, 3],
            {"done": "not a list"},
            {"crash": {"nested": True}},
        )
    )
    assert found.calling is None
    assert found.ending == messages.Ending("crash", detail="{'nested': True}")


def test_a_forged_count_of_dropped_output_counts_as_nothing():
    for forged in ("12", -5, 1.5, True, None, [1]):
        found = messages.read_result(_lines({"done": [], "output_dropped": forged}))
        assert found.ending is not None and found.ending.output_dropped == 0, forged


def test_outcomes_that_are_not_objects_are_dropped():
    found = messages.read_result(_lines({"done": [{"status": "ok"}, "x", 3, None]}))
    assert found.ending is not None and found.ending.outcomes == [{"status": "ok"}]
