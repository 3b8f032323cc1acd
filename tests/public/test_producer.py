"""Public checks of the producer: quick feedback with fixed, readable examples.

Each test names its task and the contract clauses it checks (grader/clauses.toml); every
core clause has one here. Only the bytes clause's checks send non-ASCII text.
"""

import pytest

from grader.harness import producer_checks as checks
from grader.kinesis.faults import SlowCreation

pytestmark = pytest.mark.usefixtures("learner")

ZOE = {"userId": "zoë", "type": "add_to_cart", "item": "café crème"}  # counters.bytes only
BASKET = {"userId": "zoe", "type": "add_to_cart", "item": "coffee"}
SAMPLE = [
    {"userId": user, "type": action, "n": n}
    for n, (user, action) in enumerate(
        [
            ("alice", "login"),
            ("bob", "search"),
            ("alice", "view_page"),
            ("charlie", "login"),
            ("bob", "add_to_cart"),
            ("diana", "login"),
            ("alice", "logout"),
            ("charlie", "search"),
        ]
    )
]


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.create", "stream_setup.active")
def test_ensure_stream_exists_creates_an_active_stream(learner, streams):
    checks.check_stream_setup(learner, streams, shard_count=3, calls=1)


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.create", "stream_setup.active")
def test_ensure_stream_exists_twice_is_harmless(learner, streams):
    checks.check_stream_setup(learner, streams, shard_count=2, calls=2, flags=True)


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.create", "stream_setup.active")
def test_ensure_stream_exists_waits_for_active_with_two_shards_by_default(learner, streams):
    # Called without shard_count, on a stream that stays CREATING for two describes.
    checks.check_stream_setup(learner, streams, None, calls=1, creating=SlowCreation(2))


@pytest.mark.task("producer.send_event")
@pytest.mark.clause("send_event.record", "send_event.result")
def test_send_event_reports_shard_and_sequence_number(learner, streams):
    # The second key is not the event's user id: send_event uses the key it is given.
    checks.check_send_event(learner, streams, 2, [("alice", SAMPLE[0]), ("basket-zoe", BASKET)])


@pytest.mark.task("producer.send_event")
@pytest.mark.clause("send_event.result")
def test_send_event_to_a_missing_stream_returns_the_error(learner, streams):
    checks.check_send_to_missing_stream(learner, streams, [BASKET], odd_keys=True)


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.keys")
def test_send_batch_keys_events_by_session_and_keeps_their_order(learner, streams):
    # The key function reads another field than the user id: send_batch uses whatever it returns.
    by_session = [dict(e, sessionId=f"session-{e['n'] % 3}") for e in SAMPLE]
    checks.check_send_batch(learner, streams, 2, by_session, key_field="sessionId")


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.results")
def test_send_batch_returns_one_result_per_event_of_the_call(learner, streams):
    checks.check_send_batch(learner, streams, 1, SAMPLE[:5], again=SAMPLE[5:], results=True)


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.bytes")
def test_counters_count_utf8_bytes(learner, streams):
    checks.check_counters(learner, streams, 1, [("zoë", ZOE)])


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.totals")
def test_counters_add_up_over_calls(learner, streams):
    checks.check_counters_add_up(learner, streams, 2, [("zoe", BASKET)], [SAMPLE[:3], SAMPLE[3:]])


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.totals")
def test_failed_sends_are_not_counted(learner, streams):
    checks.check_counters(learner, streams, 2, [("alice", SAMPLE[0]), ("bob", SAMPLE[1])], failing=2)


@pytest.mark.task("producer.stats")
@pytest.mark.clause("stats.fresh")
def test_get_stats_matches_describe_stream(learner, streams):
    checks.check_stats(learner, streams, shard_count=2, retention_hours=24)


@pytest.mark.task("producer.stats")
@pytest.mark.clause("stats.fresh")
def test_get_stats_reads_the_stream_again(learner, streams):
    checks.check_stats(learner, streams, shard_count=3, retention_hours=24, retention_later=48, updating=False)


@pytest.mark.task("producer.concurrency")
@pytest.mark.clause("concurrency.instance")
def test_two_producers_in_one_program(learner, streams):
    checks.check_producers_in_one_process(
        learner, streams, 1, SAMPLE[:4], [dict(e, userId="p2-" + e["userId"]) for e in SAMPLE[4:]]
    )


@pytest.mark.task("producer.concurrency")
@pytest.mark.clause("concurrency.instance")
def test_two_producers_at_once(learner, streams):
    checks.check_concurrent_producers(
        learner, streams, 2, [SAMPLE[:4], [dict(e, userId="p2-" + e["userId"]) for e in SAMPLE[4:]]]
    )
