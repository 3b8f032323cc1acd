"""Hidden properties of the consumer, over generated events, shard counts and read conditions.

Each property checks one task's contract (see ``grader.harness.consumer_checks``); the
``@example``s put the edges first: max_events 0 and 1 and a read's size, a deadline between
two polls, empty and short reads, several calls on one consumer, a resharded stream.
Only the bytes clause's checks (read_shard.counters) read non-ASCII text.
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.harness import consumer_checks as checks
from grader.hidden.plain import plain
from grader.hidden.strategies import ACTIONS, keyed, shard_counts, user_events

FEW = [
    {"userId": u, "type": t, "n": n, "note": "e"}
    for n, (u, t) in enumerate(
        [
            ("ana", "login"),
            ("bo", "search"),
            ("ana", "add_to_cart"),
            ("cy", "login"),
            ("bo", "logout"),
            ("ana", "search"),
        ]
    )
]


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.order", "read_shard.counters")
@example(shard_count=2, events=[dict(e, note="é") for e in FEW], again=True)
@settings(max_examples=2)
@given(shard_count=st.integers(1, 3), events=user_events(), again=st.booleans())
def test_each_shard_read_in_order(learner, streams, shard_count, events, again):
    checks.check_read_shard(learner, streams, shard_count, keyed(events), again=again)


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.order")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=1)
@given(events=user_events(min_size=120, max_size=150, max_users=3))
def test_long_shard_read_in_order(learner, streams, events):
    checks.check_read_shard(learner, streams, 1, keyed(plain(events)))


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
@example(shard_count=3, events=FEW, max_events=5, wanted_type=None)
@example(shard_count=2, events=FEW, max_events=None, wanted_type="login")
@example(shard_count=2, events=FEW, max_events=4, wanted_type="search")  # a filter and max_events
@settings(max_examples=2)
@given(
    shard_count=shard_counts,
    events=user_events(min_size=2, max_size=24),
    max_events=st.none() | st.integers(0, 30),
    wanted_type=st.none() | st.sampled_from(ACTIONS),
)
def test_consume_stream_reads_everything(learner, streams, shard_count, events, max_events, wanted_type):
    # With both max_events and a filter, max_events counts the records read, matched or not.
    checks.check_all_shards(
        learner, streams, shard_count, keyed(plain(events)), max_events=max_events, wanted_type=wanted_type
    )


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every", "all_shards.closed")
@example(shard_count=2, events=FEW)
@settings(max_examples=1)
@given(shard_count=shard_counts, events=user_events(min_size=2, max_size=24))
def test_consume_stream_after_resharding(learner, streams, shard_count, events):
    checks.check_all_shards(learner, streams, shard_count, keyed(plain(events)), reshard=True)


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.paging")
@settings(max_examples=1)
@given(shard_count=st.integers(4, 8), per_page=st.integers(2, 3))  # pages of 1 hide a restart after the first id
def test_list_shards_in_short_pages(learner, streams, shard_count, per_page):
    # Paging: a page may hold fewer shards than asked for; the next call sends the NextToken alone.
    checks.check_listed_in_pages(learner, streams, shard_count, per_page)


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=1)
@given(events=user_events(min_size=16, max_size=30, max_users=30))
def test_consume_stream_with_eight_shards(learner, streams, events):
    checks.check_all_shards(learner, streams, 8, keyed(plain(events)))


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_events")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@example(available=12, limits=[0, 1, 5], filtered=True)
@settings(max_examples=3)
@given(
    available=st.integers(1, 30),
    limits=st.lists(st.integers(0, 35), min_size=1, max_size=3),
    filtered=st.booleans(),
)
def test_exactly_max_events(learner, streams, available, limits, filtered):
    checks.check_max_events(learner, streams, available, limits, None, filtered)


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_events", "stopping.behind")
@example(available=10, limits=[20, 10], empty_calls=frozenset({1, 3}), cap=4)
@settings(max_examples=2)
@given(
    available=st.integers(1, 30),
    limits=st.lists(st.integers(0, 35), min_size=1, max_size=3),
    empty_calls=st.frozensets(st.integers(1, 5), max_size=2),
    cap=st.integers(1, 9),
)
def test_exactly_max_events_while_reads_are_uneven(learner, streams, available, limits, empty_calls, cap):
    checks.check_max_events(learner, streams, available, limits, checks.UnevenReads(empty_calls, cap))


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_events", "stopping.caught_up")
@example(available=200, limits=[100, 1000])
@settings(max_examples=2)
@given(available=st.integers(150, 260), limits=st.just([]))
def test_batches_larger_than_one_read(learner, streams, available, limits):
    checks.check_max_events(learner, streams, available, limits or [available - 7, available + 3])


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_seconds")
@example(seconds=0.5, available=3, poll_interval=0.2)
@settings(max_examples=2)
@given(seconds=st.sampled_from([0.7, 1.3]), available=st.integers(1, 5), poll_interval=st.sampled_from([0.25, 0.5]))
def test_max_seconds_on_an_open_shard(learner, streams, seconds, available, poll_interval):
    checks.check_max_seconds(learner, streams, seconds, available, poll_interval)


@pytest.mark.task("consumer.throughput")
@pytest.mark.clause("throughput.rate")
@example(count=10, wanted_type="search")
@settings(max_examples=3)
@given(count=st.integers(1, 40), wanted_type=st.none() | st.just("login"))
def test_throughput_is_fractional(learner, streams, count, wanted_type):
    checks.check_throughput(learner, streams, count, wanted_type)


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match", "filtering.result")
@given(data=st.data(), events=user_events(min_size=3, max_size=20))
def test_filter_by_type(learner, streams, data, events):
    wanted = data.draw(st.sampled_from(sorted({e["type"] for e in events})), label="wanted type (one that occurs)")
    checks.check_filtering(learner, streams, plain(events), wanted)


PRIORITY = [dict(e, priority=["high", "", "low", None][e["n"] % 4]) for e in FEW]


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
def test_filter_answering_a_value_not_a_bool(learner, streams):
    # process_event answers a real bool even when the filter answers a str or None (truthy or not).
    checks.check_filtering(learner, streams, PRIORITY, None, truthy_field="priority")


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match", "filtering.result")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@given(events=user_events(min_size=3, max_size=10))
def test_no_filter_matches_everything(learner, streams, events):
    checks.check_filtering(learner, streams, plain(events), None)


@pytest.mark.task("consumer.independence")
@pytest.mark.clause("independence.instance")
@settings(max_examples=2)
@given(consumers=st.integers(2, 3), events=user_events(max_size=12))
def test_consumers_are_independent(learner, streams, consumers, events):
    checks.check_independent_consumers(learner, streams, consumers, keyed(plain(events)))
