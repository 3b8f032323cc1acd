"""Golden messages: what a learner reads for the typical mistakes of this exercise.

Each mistake is a one-place change to the reference. Its failure message is pinned in
tests/golden/messages/<mistake>.txt (``UPDATE_GOLDEN=1 make test`` rewrites them; review the
diff), and must read like the rest: what was called, what came back, what was expected, why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader.pipeline import grade

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "messages"

# mistake -> (file, reference text, mistaken text, public test that must explain it, words it must say)
MISTAKES = {
    "counting_characters": (
        "enhanced_producer.py",
        ['payload = json.dumps(event_data).encode("utf-8")', "self.bytes_sent += len(payload)"],
        [
            'text = json.dumps(event_data, ensure_ascii=False)\n            payload = text.encode("utf-8")',
            "self.bytes_sent += len(text)",
        ],
        "test_counters_count_utf8_bytes",
        ["bytes_sent", "number of characters, not bytes", "UTF-8"],
    ),
    "reading_one_shard": (
        "enhanced_consumer.py",
        'shard_ids.extend(shard["ShardId"] for shard in response["Shards"])',
        'shard_ids.extend(shard["ShardId"] for shard in response["Shards"][:1])',
        "test_consume_stream_reads_every_shard",
        ["list_shard_ids", "all 3 shard ids", "misses those users"],
    ),
    "overshooting_max_events": (
        "enhanced_consumer.py",
        "limit = 1000 if max_events is None else max(1, min(1000, max_events - read))",
        "limit = 100",
        "test_consume_stops_at_exactly_max_events",
        ["max_events=1", "read 12 record(s)", "exactly 1"],
    ),
    "never_stops": (
        "enhanced_consumer.py",
        "if max_seconds is None:\n                    break",
        "if max_seconds is None and iterator is None:\n                    break",
        "test_consume_returns_when_the_shard_runs_dry",
        ["consume(max_events=20)", "kept reading", "found nothing new"],
    ),
    "filter_counts_everything": (
        "enhanced_consumer.py",
        "if event is not None and self.process_event(event):\n                    self.events_matched += 1",
        "self.events_matched += 1\n                if event is not None and self.process_event(event):",
        "test_filter_keeps_only_add_to_cart",
        ["events_matched = 12", "events_matched = 4", "every record read"],
    ),
}


def mistaken_copy(tmp_path: Path, file: str, old: str | list[str], new: str | list[str]) -> Path:
    """The reference with one mistake in it (one or a few replacements in one file)."""
    exercises = tmp_path / "exercises"
    shutil.copytree(ROOT / "solutions", exercises)
    source = (exercises / file).read_text(encoding="utf-8")
    for before, after in zip(
        [old] if isinstance(old, str) else old, [new] if isinstance(new, str) else new, strict=True
    ):
        assert source.count(before) == 1, f"the reference no longer contains {before!r}"
        source = source.replace(before, after)
    (exercises / file).write_text(source, encoding="utf-8")
    return exercises


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_typical_mistake_is_explained(mistake, tmp_path):
    file, old, new, test_name, words = MISTAKES[mistake]
    report = grade.grade(mistaken_copy(tmp_path, file, old, new), include_hidden=False, extra_args=["-k", test_name])
    failed = [t for t in report["tests"] if t["name"] == test_name]
    assert [t["name"] for t in report["tests"]] == [test_name]
    assert failed[0]["status"] == "failed", failed
    message = failed[0]["message"]
    lines = message.splitlines()
    assert lines[0].startswith("Called ") and lines[1].startswith("It ") and lines[2].startswith("Expected ")
    assert lines[3].startswith("Why it matters: ")
    for word in words:
        assert word in message
    assert str(tmp_path) not in message and "Traceback" not in message and "grader/" not in message
    golden = GOLDEN / f"{mistake}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(message + "\n", encoding="utf-8")
    assert message + "\n" == golden.read_text(encoding="utf-8")
