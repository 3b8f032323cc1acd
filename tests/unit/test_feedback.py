"""Feedback messages and the decoding of the worker's typed values."""

from __future__ import annotations

from grader.harness.feedback import Feedback, Missing, Opaque, decode, show, type_name


def test_message_reads_called_it_expected_why():
    text = Feedback("producer.send_event({'a': 1}, 'k')", "returned None", "a dict", "callers need the result").text()
    assert text.splitlines() == [
        "Called producer.send_event({'a': 1}, 'k').",
        "It returned None.",
        "Expected a dict.",
        "Why it matters: callers need the result.",
    ]


def test_sentences_end_with_one_full_stop_and_why_is_optional():
    text = Feedback("f()", "returned 3.", "4?").text()
    assert text == "Called f().\nIt returned 3.\nExpected 4?"


def test_show_shortens_long_values():
    shown = show("x" * 500)
    assert len(shown) < 100 and shown.startswith("'x")


def test_decode_plain_values_and_containers():
    assert decode({"t": "none"}) is None
    assert decode({"t": "int", "v": 3}) == 3
    assert decode({"t": "int", "big": True, "v": str(2**80)}) == 2**80
    assert decode({"t": "bytes", "v": "ab"}) == b"ab"
    assert decode({"t": "list", "items": [{"t": "str", "v": "a"}]}) == ["a"]
    assert decode({"t": "tuple", "items": [{"t": "bool", "v": True}]}) == (True,)
    assert decode({"t": "dict", "items": [[{"t": "str", "v": "k"}, {"t": "float", "v": 1.5}]]}) == {"k": 1.5}


def test_decode_refuses_malformed_and_foreign_values():
    forged = decode({"t": "int", "v": "3"})  # a str claiming to be an int
    assert isinstance(forged, Opaque) and forged != 3
    assert isinstance(decode("not a description"), Opaque)
    other = decode({"t": "object", "type": "Anything", "repr": "<eq to all>"})
    assert isinstance(other, Opaque) and other != other and type_name(other) == "Anything"
    missing = decode({"t": "missing", "error": "no attribute"})
    assert isinstance(missing, Missing) and missing != 0 and type_name(missing) == "missing attribute"
