"""Consumer scores mean what they say: doing nothing earns nothing, and the module's own
consumer (it never stops on an open shard and returns None) keeps its reading points.

Only the consumer's tests run (``-k``): the producer side of these submissions is not the
point here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import manifest
from tests.mutants.patching import Job, grade_all, shared_dir, task_scores
from tests.submissions.do_nothing import pretending

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = ROOT / "tests" / "submissions"
CONSUMER_TASKS = [t.id for t in manifest.load() if t.id.startswith("consumer.")]
POINTS = {t.id: t.points for t in manifest.load()}


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, float]]:
    """The consumer task scores of each submission, graded once."""
    folders = {
        "do_nothing": pretending.build(shared_dir() / "do_nothing"),
        "module_style": SUBMISSIONS / "module_style" / "exercises",
    }
    # At the full level: the module's consumer never retries a failed read (a full-level clause).
    jobs = [
        Job(name, folder, extra_args=["-k", "consumer or faults"], level="full") for name, folder in folders.items()
    ]
    return {name: task_scores(report) for name, (report, _) in grade_all(jobs, reuse=True).items()}


@pytest.mark.parametrize("task", CONSUMER_TASKS)
def test_doing_nothing_scores_nothing(scores, task):
    assert scores["do_nothing"][task] == 0


def test_module_style_keeps_its_reading_points(scores):
    got = scores["module_style"]
    # It reads a shard in order and keeps its own counters; it never retries a failed read.
    assert 0 < got["consumer.read_shard"] < POINTS["consumer.read_shard"]
    assert got["consumer.independence"] == POINTS["consumer.independence"]
    # It never stops on an open shard, returns None, has no filter, no get_stats, no consume_stream.
    for task in ("consumer.stopping", "consumer.filtering", "consumer.throughput", "consumer.all_shards"):
        assert got[task] == 0, task
