"""Hidden properties under AWS-like faults: throttling, 5xx errors, partial PutRecords, slow creation.

Hypothesis picks which calls fail, with which error, and the events. Faults follow call
counts only, so every run of a submission meets the same ones. botocore retries a failed
call by itself (3 tries in its default mode, 5 in legacy mode), so a run of 5 or more
failures in a row reaches the learner's code whatever the mode; runs stay short enough (at
most 7) that a retry loop of a few tries always gets through.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.harness import consumer_checks, producer_checks
from grader.hidden.strategies import keyed, shard_counts, user_events
from grader.kinesis.faults import (
    ERRORS,
    LEGACY_BOTOCORE_TRIES,
    PUT_OPERATIONS,
    PartialPutRecords,
    Plan,
    SlowCreation,
    Together,
    fail_runs,
)

# Hypothesis starts from the first code listed: the producer's list starts with throttling, the
# fault met most, the consumer's with a 503, so that every code is met in the few examples run.
PRODUCER_ERRORS = list(ERRORS)
CONSUMER_ERRORS = ["ServiceUnavailable", "ProvisionedThroughputExceededException", "InternalFailure"]


@st.composite
def failure_runs(draw: st.DrawFn, first_call_max: int, codes: list[str]) -> list[tuple[int, int, str]]:
    """One run long enough to outlast botocore's retries, maybe a second one later: (start, length, code)."""
    error_codes = st.sampled_from(codes)
    start = draw(st.integers(1, max(1, first_call_max)))
    runs = [(start, draw(st.integers(LEGACY_BOTOCORE_TRIES, LEGACY_BOTOCORE_TRIES + 2)), draw(error_codes))]
    if draw(st.booleans()):
        # At least one call succeeds in between, so no single call meets more than 7 failures in a row.
        gap = draw(st.integers(1, 4))
        runs.append((start + runs[0][1] + gap, draw(st.integers(1, LEGACY_BOTOCORE_TRIES + 1)), draw(error_codes)))
    return runs


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.retries")
@settings(max_examples=3)
@given(data=st.data(), shard_count=shard_counts, events=user_events(min_size=2, max_size=10, max_users=3))
def test_send_batch_retries_throttled_and_failed_calls(learner, streams, data, shard_count, events):
    runs = data.draw(failure_runs(len(events), PRODUCER_ERRORS), label="failed runs of PutRecord/PutRecords calls")
    # Learners who batch with put_records also meet refused entries, as on a throttled shard.
    refused = data.draw(st.frozensets(st.integers(1, len(events)), max_size=2), label="refused PutRecords entries")
    plan: Plan = (
        Together([fail_runs(PUT_OPERATIONS, runs), PartialPutRecords(refused)])
        if refused
        else fail_runs(PUT_OPERATIONS, runs)
    )
    # Clause 7 too: after a failed send succeeds on a retry, the event's result is that success.
    producer_checks.check_send_batch(learner, streams, shard_count, events, faults=plan, results=True)


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.retries")
@settings(max_examples=3)
@given(data=st.data(), shard_count=st.integers(1, 2), events=user_events(min_size=1, max_size=16))
def test_read_shard_retries_failed_reads(learner, streams, data, shard_count, events):
    # A shard that fits in one read takes 2 GetRecords calls (its records, then an empty one).
    runs = data.draw(failure_runs(2 * shard_count, CONSUMER_ERRORS), label="failed runs of GetRecords calls")
    consumer_checks.check_read_shard(
        learner, streams, shard_count, keyed(events), faults=fail_runs(("GetRecords",), runs)
    )


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.active")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@given(shard_count=shard_counts, creating_calls=st.integers(1, 4))
def test_stream_setup_waits_while_creating(learner, streams, shard_count, creating_calls):
    producer_checks.check_stream_setup(learner, streams, shard_count, calls=1, creating=SlowCreation(creating_calls))


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.other_creating")
@settings(max_examples=1)
@given(seconds=st.sampled_from([30.0, 45.0]))
def test_stream_setup_waits_for_a_slow_creation(learner, streams, seconds):
    # "For as long as it takes": CREATING lasts far longer than a few polls.
    producer_checks.check_stream_setup_slow(learner, streams, seconds)


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.other_creating")
@settings(max_examples=1)
@given(shard_count=st.integers(1, 3))
def test_stream_setup_when_another_producer_creates_it_at_once(learner, streams, shard_count):
    # Clauses 2-4 in a race: the other producer's create lands between this one's check and its create.
    producer_checks.check_stream_setup_race(learner, streams, shard_count)


BACKOFF_EVENTS = [
    {"userId": user, "type": "add_to_cart", "n": n, "note": "é"} for n, user in enumerate(["ann", "ben", "cy"])
]
MIDDLE = [{"userId": u, "type": "search", "n": n, "note": ""} for n, u in enumerate(["a", "b", "a", "b"])]


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.retries")
def test_send_batch_backs_off_between_retries(learner, streams):
    # Clause 5: a pause before every new try, longer each time, on the simulated clock.
    producer_checks.check_backoff(learner, streams, BACKOFF_EVENTS)


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.give_up")
@settings(max_examples=1)
@example(events=MIDDLE, from_end=2, max_attempts=3)  # a failing event with later events of the same key
@example(events=MIDDLE[:2], from_end=1, max_attempts=1)  # one try only: no retry at all
@given(
    events=user_events(min_size=2, max_size=8, max_users=3), from_end=st.integers(0, 7), max_attempts=st.integers(1, 4)
)
def test_send_batch_gives_up_after_max_attempts(learner, streams, events, from_end, max_attempts):
    # Clauses 4 and 6: exactly max_attempts tries of an event that always fails, then on with the next events.
    doomed = max(0, len(events) - 1 - from_end)
    producer_checks.check_retries_run_out(learner, streams, 2, events, doomed, max_attempts)


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.retries")
def test_read_retries_back_off(learner, streams):
    # A failed read is retried with the same iterator after a pause that grows from failure to failure.
    consumer_checks.check_read_retry_backoff(learner, streams, keyed(MIDDLE))
