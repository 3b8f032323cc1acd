"""Public checks of the consumer: quick feedback with fixed, readable examples.

Each test names its task and the contract clauses it checks (grader/clauses.toml); every
core clause has one here. Only the bytes clause's check sends non-ASCII text.
"""

import pytest

from grader.harness import consumer_checks as checks
from grader.harness import limit_checks

USERS = ["alice", "bob", "charlie", "diana", "zoe"]
EVENTS = [{"userId": USERS[n % 5], "type": ["login", "add_to_cart", "search"][n % 3], "n": n} for n in range(12)]
KEYED = [(e["userId"], e) for e in EVENTS]


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.order")
def test_consume_reads_a_shard_in_order(learner, streams):
    # Two shards, each read by its own consumer, each consumer called twice.
    checks.check_read_shard(learner, streams, 2, KEYED[:6], again=True)


@pytest.mark.task("consumer.read_shard")
@pytest.mark.clause("read_shard.counters")
def test_consume_counts_bytes_not_characters(learner, streams):
    checks.check_read_shard(learner, streams, 1, [("zoë", {"userId": "zoë", "type": "login", "note": "déjà vu"})])


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
def test_consume_stream_reads_every_shard(learner, streams):
    checks.check_all_shards(learner, streams, 3, KEYED)


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
def test_consume_stream_counts_max_events_over_all_shards(learner, streams):
    checks.check_all_shards(learner, streams, 3, KEYED, max_events=7)


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
def test_consume_stream_passes_the_filter_on(learner, streams):
    checks.check_all_shards(learner, streams, 2, KEYED, wanted_type="search")


@pytest.mark.task("consumer.all_shards")
@pytest.mark.clause("all_shards.every")
def test_consume_stream_counts_records_read_not_matches(learner, streams):
    # A filter and max_events together: max_events counts every record read, matched or not.
    checks.check_all_shards(learner, streams, 2, KEYED, max_events=5, wanted_type="search")


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_events")
def test_consume_stops_at_exactly_max_events(learner, streams):
    # One consumer called three times; half the events pass its filter, max_events counts records read.
    checks.check_max_events(learner, streams, available=12, limits=[0, 1, 5], filtered=True)


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.caught_up")
def test_consume_returns_when_the_shard_runs_dry(learner, streams):
    checks.check_max_events(learner, streams, available=10, limits=[20])


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_seconds")
def test_consume_respects_max_seconds(learner, streams):
    checks.check_max_seconds(learner, streams, seconds=1.5, available=2, poll_interval=0.5)


@pytest.mark.task("consumer.stopping")
@pytest.mark.clause("stopping.max_seconds")
def test_idle_consumer_waits_poll_interval(learner, streams):
    limit_checks.check_idle_polling(learner, streams, poll_interval=0.5, seconds=3)


@pytest.mark.task("consumer.throughput")
@pytest.mark.clause("throughput.rate")
def test_throughput_under_one_second(learner, streams):
    # With a filter: the rate counts every record read, matched or not.
    checks.check_throughput(learner, streams, count=10, wanted_type="search")


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match", "filtering.result")
def test_filter_keeps_only_add_to_cart(learner, streams):
    checks.check_filtering(learner, streams, EVENTS, "add_to_cart")


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match", "filtering.result")
def test_without_a_filter_every_event_matches(learner, streams):
    checks.check_filtering(learner, streams, EVENTS[:5], None)


PRIORITY = [dict(e, priority=["high", "", "low", None][e["n"] % 4]) for e in EVENTS[:8]]


@pytest.mark.task("consumer.filtering")
@pytest.mark.clause("filtering.match")
def test_process_event_answers_a_bool_whatever_the_filter_returns(learner, streams):
    # The filter answers the event's "priority" (a str or None): process_event still answers True or False.
    checks.check_filtering(learner, streams, PRIORITY, None, truthy_field="priority")


@pytest.mark.task("consumer.independence")
@pytest.mark.clause("independence.instance")
def test_two_consumers_in_one_program_each_see_every_event(learner, streams):
    checks.check_independent_consumers(learner, streams, 2, KEYED[:5])
