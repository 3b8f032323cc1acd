"""Hidden properties of the producer, over generated events, keys and shard counts."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.harness import producer_checks as checks
from grader.hidden.strategies import keyed, notes, shard_counts, user_events


@pytest.mark.task("producer.stream_setup")
@given(shard_count=shard_counts)
def test_stream_setup_for_any_shard_count(learner, streams, shard_count):
    checks.check_stream_setup(learner, streams, shard_count, calls=2)


@pytest.mark.task("producer.stream_setup")
@settings(max_examples=1)
@given(shard_count=shard_counts)
def test_stream_setup_three_calls(learner, streams, shard_count):
    checks.check_stream_setup(learner, streams, shard_count, calls=3)


@pytest.mark.task("producer.send_event")
@given(shard_count=shard_counts, events=user_events(max_size=6))
def test_send_event_results_match_the_stream(learner, streams, shard_count, events):
    checks.check_send_event(learner, streams, shard_count, keyed(events))


@pytest.mark.task("producer.send_event")
@settings(max_examples=3)
@given(events=user_events(max_size=3))
def test_send_event_errors_are_returned(learner, streams, events):
    checks.check_send_to_missing_stream(learner, streams, events)


@pytest.mark.task("producer.ordering")
@given(shard_count=shard_counts, events=user_events())
def test_send_batch_routes_and_orders_by_key(learner, streams, shard_count, events):
    checks.check_send_batch(learner, streams, shard_count, events)


@pytest.mark.task("producer.ordering")
@settings(max_examples=3)
@given(events=user_events(min_size=10, max_size=30, max_users=30))
def test_send_batch_with_many_keys(learner, streams, events):
    checks.check_send_batch(learner, streams, 8, events)


@pytest.mark.task("producer.ordering")
@settings(max_examples=3)
@given(shard_count=shard_counts, events=user_events(max_size=12, max_users=2))
def test_send_batch_with_few_hot_keys(learner, streams, shard_count, events):
    checks.check_send_batch(learner, streams, shard_count, events)


@pytest.mark.task("producer.counters")
@given(shard_count=shard_counts, events=user_events(max_size=8))
def test_counters_are_exact_utf8(learner, streams, shard_count, events):
    checks.check_counters(learner, streams, shard_count, keyed(events))


@pytest.mark.task("producer.counters")
@settings(max_examples=3)
@given(events=user_events(min_size=2, max_size=6), failing=st.integers(1, 2))
def test_counters_ignore_failures(learner, streams, events, failing):
    checks.check_counters(learner, streams, 2, keyed(events), failing=failing)


@pytest.mark.task("producer.stats")
@given(shard_count=shard_counts, retention=st.sampled_from([24, 48, 72, 168]))
def test_stats_match_describe_stream(learner, streams, shard_count, retention):
    checks.check_stats(learner, streams, shard_count, retention)


@pytest.mark.task("producer.concurrency")
@settings(max_examples=3)
@given(shard_count=shard_counts, batches=st.lists(user_events(max_size=8), min_size=2, max_size=4), note=notes)
def test_several_producers_at_once(learner, streams, shard_count, batches, note):
    # Distinct users per producer, as separate apps would have.
    batches = [[dict(e, userId=f"p{i}:{e['userId']}") for e in batch] for i, batch in enumerate(batches)]
    checks.check_concurrent_producers(learner, streams, shard_count, batches)
