"""Checks of the consumer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).

How reading is observed: every consumer the grader makes is of a subclass whose
``process_event`` first notes the event it is given, then calls the learner's. A read is
judged on those events (and on the counters), never on what ``consume`` returns, so a
``consume`` that reads right but returns the wrong thing loses consumer.filtering only.
Every read is bounded: in a reading check, a shard that has nothing new for 3 reads in a
row is made to look closed (Kinesis then sends no NextShardIterator), so a ``consume`` that
never stops by itself still ends and keeps its reading points; consumer.stopping is where
stopping is judged.

One mistake, one task: a check looks only at what its task's contract promises (see the
docstrings of ``solutions/enhanced_consumer.py``). Counters are judged on the first consumer
of a run only (a later one may share state with it, which is consumer.independence's), and
checks of other tasks compare the learner's own figures with each other where they can.

One module per task of the manifest, and ``conditions`` for what every check sets up: the
observed consumers, the bounds on reading and the Kinesis conditions the grader produces.
The tests and the limit checks use the names below.
"""

from grader.harness.consumer_checks.all_shards import check_all_shards, check_listed_in_pages
from grader.harness.consumer_checks.conditions import DRY_CLOSE, UnevenReads
from grader.harness.consumer_checks.filtering import check_filtering
from grader.harness.consumer_checks.independence import check_independent_consumers
from grader.harness.consumer_checks.read_shard import check_read_retry_backoff, check_read_shard
from grader.harness.consumer_checks.stopping import check_max_events, check_max_seconds
from grader.harness.consumer_checks.throughput import check_throughput

__all__ = [
    "DRY_CLOSE",
    "UnevenReads",
    "check_all_shards",
    "check_listed_in_pages",
    "check_filtering",
    "check_independent_consumers",
    "check_max_events",
    "check_max_seconds",
    "check_read_retry_backoff",
    "check_read_shard",
    "check_throughput",
]
