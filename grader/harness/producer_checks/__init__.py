"""Checks of the producer's tasks, written once and used by the public tests (fixed
examples) and the hidden tests (hypothesis examples).

Each check names the clauses of the contract (the docstrings of ``EventProducer``) it
checks; every clause has a check that fails when only that clause is broken, and a check
of one task relies on no other task's method but the ones its task is about.

One module per task of the manifest (producer.ordering's retries in ``retries``), and
``matching`` for how records are matched to the events sent. The tests and the limit
checks use the names below.
"""

from grader.harness.producer_checks.concurrency import check_concurrent_producers, check_producers_in_one_process
from grader.harness.producer_checks.counters import check_counters, check_counters_add_up
from grader.harness.producer_checks.matching import which_event
from grader.harness.producer_checks.ordering import check_send_batch
from grader.harness.producer_checks.retries import check_backoff, check_retries_run_out
from grader.harness.producer_checks.send_event import check_send_event, check_send_to_missing_stream
from grader.harness.producer_checks.stats import check_stats
from grader.harness.producer_checks.stream_setup import (
    check_stream_setup,
    check_stream_setup_existing,
    check_stream_setup_race,
    check_stream_setup_slow,
)

__all__ = [
    "check_backoff",
    "check_concurrent_producers",
    "check_counters",
    "check_counters_add_up",
    "check_producers_in_one_process",
    "check_retries_run_out",
    "check_send_batch",
    "check_send_event",
    "check_send_to_missing_stream",
    "check_stats",
    "check_stream_setup",
    "check_stream_setup_existing",
    "check_stream_setup_race",
    "check_stream_setup_slow",
    "which_event",
]
