"""Hidden properties of the consumer, over generated events and shard counts."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.harness import consumer_checks as checks
from grader.hidden.strategies import ACTIONS, keyed, shard_counts, user_events


@pytest.mark.task("consumer.read_shard")
@given(shard_count=st.integers(1, 3), events=user_events())
def test_each_shard_read_in_order(learner, streams, shard_count, events):
    checks.check_read_shard(learner, streams, shard_count, keyed(events))


@pytest.mark.task("consumer.read_shard")
@settings(max_examples=2)
@given(events=user_events(min_size=120, max_size=150, max_users=3))
def test_long_shard_read_in_order(learner, streams, events):
    checks.check_read_shard(learner, streams, 1, keyed(events))


@pytest.mark.task("consumer.all_shards")
@given(shard_count=shard_counts, events=user_events(max_size=24))
def test_consume_stream_reads_everything(learner, streams, shard_count, events):
    checks.check_all_shards(learner, streams, shard_count, keyed(events))


@pytest.mark.task("consumer.all_shards")
@settings(max_examples=2)
@given(events=user_events(min_size=16, max_size=30, max_users=30))
def test_consume_stream_with_eight_shards(learner, streams, events):
    checks.check_all_shards(learner, streams, 8, keyed(events))


@pytest.mark.task("consumer.stopping")
@given(available=st.integers(0, 30), max_events=st.integers(1, 35))
def test_exactly_max_events(learner, streams, available, max_events):
    checks.check_max_events(learner, streams, available, max_events)


@pytest.mark.task("consumer.stopping")
@settings(max_examples=3)
@given(seconds=st.sampled_from([0.5, 1, 2.5, 4]), available=st.integers(0, 5))
def test_max_seconds_on_an_open_shard(learner, streams, seconds, available):
    checks.check_max_seconds(learner, streams, seconds, available)


@pytest.mark.task("consumer.stopping")
@settings(max_examples=3)
@given(available=st.integers(150, 260))
def test_batches_larger_than_one_read(learner, streams, available):
    checks.check_max_events(learner, streams, available, available - 7)


@pytest.mark.task("consumer.throughput")
@settings(max_examples=4)
@given(count=st.integers(1, 40))
def test_throughput_is_fractional(learner, streams, count):
    checks.check_throughput(learner, streams, count)


@pytest.mark.task("consumer.filtering")
@given(events=user_events(min_size=3, max_size=20), wanted=st.sampled_from(ACTIONS))
def test_filter_by_type(learner, streams, events, wanted):
    checks.check_filtering(learner, streams, events, wanted)


@pytest.mark.task("consumer.filtering")
@settings(max_examples=2)
@given(events=user_events(min_size=3, max_size=10))
def test_no_filter_matches_everything(learner, streams, events):
    checks.check_filtering(learner, streams, events, None)


@pytest.mark.task("consumer.independence")
@settings(max_examples=3)
@given(consumers=st.integers(2, 4), events=user_events(max_size=12))
def test_consumers_are_independent(learner, streams, consumers, events):
    checks.check_independent_consumers(learner, streams, consumers, keyed(events))
