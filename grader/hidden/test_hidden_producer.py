"""Hidden properties of the producer, over generated events, keys and shard counts.

Each test names the contract clauses (docstrings of ``EventProducer``) it checks. ``@example``
pins the boundaries (1 shard, the default shard count, one event, a key that is not the
user id) so they are met whatever hypothesis draws.
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.harness import producer_checks as checks
from grader.hidden.plain import plain, plain_text
from grader.hidden.strategies import keyed, notes, shard_counts, user_events, user_ids

# Only the bytes clause's checks send non-ASCII text (plain() makes the others' events ASCII).
UTF8_ONE = [{"userId": "ünï", "type": "login", "n": 0, "note": ""}]
ONE = [{"userId": "uni", "type": "login", "n": 0, "note": ""}]
TWO_USERS = [{"userId": u, "type": "search", "n": n, "note": "ss"} for n, u in enumerate(["a", "b", "a", "b", "a"])]


def by_session(events):
    """The events with a 'sessionId' field that is not the user id, for a key function over it."""
    return [dict(e, sessionId=f"s{(e['n'] * 7) % 3}-{e['userId']}") for e in events]


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.create", "stream_setup.active")
@settings(max_examples=1)
@example(shard_count=1)
@example(shard_count=None)  # the argument left out: the default of 2 shards
@given(shard_count=shard_counts)
def test_stream_setup_for_any_shard_count(learner, streams, shard_count):
    # Clauses 1, 2 and 4: created with shard_count shards and True; later calls False, nothing changed.
    checks.check_stream_setup(learner, streams, shard_count, calls=3, flags=True)


@pytest.mark.task("producer.stream_setup")
@pytest.mark.clause("stream_setup.other_creating")
@settings(max_examples=1)
@given(shard_count=shard_counts, creating_calls=st.integers(1, 4))
def test_stream_setup_waits_for_a_stream_another_producer_created(learner, streams, shard_count, creating_calls):
    # Clauses 2-3: the stream exists but is still CREATING: wait for ACTIVE, change nothing.
    checks.check_stream_setup_existing(learner, streams, shard_count, creating_calls)


@pytest.mark.task("producer.send_event")
@pytest.mark.clause("send_event.record", "send_event.result")
@settings(max_examples=2)
@example(shard_count=1, events=ONE, keys=["not-the-user"])
@given(shard_count=shard_counts, events=user_events(max_size=6), keys=st.lists(user_ids, min_size=6, max_size=6))
def test_send_event_results_match_the_stream(learner, streams, shard_count, events, keys):
    # Clauses 1-3: the given key (not the user id), the event's JSON as data, the record's shard and sequence.
    checks.check_send_event(
        learner, streams, shard_count, [(f"k:{plain_text(key)}", event) for key, event in zip(keys, plain(events))]
    )


@pytest.mark.task("producer.send_event")
@pytest.mark.clause("send_event.result")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@given(events=user_events(max_size=3))
def test_send_event_errors_are_returned(learner, streams, events):
    # Clause 4, next to a send to a healthy stream that must succeed; failures of every kind the
    # clause names: Kinesis's errors and boto3's own refusal of an empty partition key.
    checks.check_send_to_missing_stream(learner, streams, plain(events), odd_keys=True)


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.keys")
@settings(max_examples=2)
@example(shard_count=1, events=ONE)
@given(shard_count=shard_counts, events=user_events())
def test_send_batch_routes_and_orders_by_key(learner, streams, shard_count, events):
    checks.check_send_batch(learner, streams, shard_count, plain(events))


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.keys")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@example(events=by_session(TWO_USERS))
@given(events=user_events(min_size=10, max_size=30, max_users=30))
def test_send_batch_by_another_field(learner, streams, events):
    # Clause 1 with a key function over another field than the user id.
    checks.check_send_batch(learner, streams, 8, by_session(plain(events)), key_field="sessionId")


@pytest.mark.task("producer.ordering")
@pytest.mark.clause("ordering.keys", "ordering.results")
@settings(max_examples=2)
@example(shard_count=1, events=TWO_USERS, again=ONE)
@given(
    shard_count=shard_counts, events=user_events(min_size=2, max_size=12, max_users=2), again=user_events(max_size=4)
)
def test_send_batch_with_few_hot_keys_twice(learner, streams, shard_count, events, again):
    # Clause 2 where it shows (many events per key), and clause 7 over two calls on one producer:
    # each call's results are its own, in the order of its events (on one shard, results grouped
    # by key name the wrong records).
    second = [dict(e, n=e["n"] + len(events)) for e in plain(again)]
    checks.check_send_batch(learner, streams, shard_count, plain(events), again=second, results=True)


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.bytes")
@settings(max_examples=2)
@example(shard_count=1, events=UTF8_ONE)
@given(shard_count=shard_counts, events=user_events(max_size=8))
def test_counters_are_exact_utf8(learner, streams, shard_count, events):
    # Counters clauses 1 and 2, against what the test sent.
    checks.check_counters(learner, streams, shard_count, keyed(events))


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.totals")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@given(events=user_events(min_size=2, max_size=6), failing=st.integers(1, 2))
def test_counters_ignore_failures(learner, streams, events, failing):
    # Counters clause 3.
    checks.check_counters(learner, streams, 2, keyed(plain(events)), failing=failing)


@pytest.mark.task("producer.counters")
@pytest.mark.clause("counters.totals")
@settings(max_examples=1)
@example(events=TWO_USERS, batches=[ONE, ONE])
@given(events=user_events(max_size=3), batches=st.lists(user_events(max_size=4), min_size=2, max_size=3))
def test_counters_add_up_over_calls(learner, streams, events, batches):
    # Counters clause 4: totals over send_event and several send_batch calls on one producer.
    events, batches = plain(events), [plain(batch) for batch in batches]
    numbered, offset = [], len(events)
    for batch in batches:
        numbered.append([dict(e, n=e["n"] + offset) for e in batch])
        offset += len(batch)
    checks.check_counters_add_up(learner, streams, 2, keyed(events), numbered)


@pytest.mark.task("producer.stats")
@pytest.mark.clause("stats.fresh")
@settings(max_examples=1)
@example(shard_count=1, retention=24)
@given(shard_count=shard_counts, retention=st.sampled_from([24, 48, 72, 168]))
def test_stats_match_describe_stream(learner, streams, shard_count, retention):
    # Clauses 2 and 3.
    checks.check_stats(learner, streams, shard_count, retention)


@pytest.mark.task("producer.stats")
@pytest.mark.clause("stats.fresh", "stats.now")
@settings(max_examples=1)
@example(shard_count=3, retention=24, later=72)
@given(shard_count=shard_counts, retention=st.sampled_from([24, 48]), later=st.sampled_from([96, 168]))
def test_stats_while_updating_and_after_a_change(learner, streams, shard_count, retention, later):
    # Clauses 1 and 4: the status as it is now (UPDATING), and a fresh read after the stream changed.
    checks.check_stats(learner, streams, shard_count, retention, retention_later=later)


@pytest.mark.task("producer.concurrency")
@pytest.mark.clause("concurrency.instance")
@pytest.mark.level("full")  # a further variation: core grades one hidden check per clause
@settings(max_examples=2)
@given(shard_count=shard_counts, batches=st.lists(user_events(max_size=8), min_size=2, max_size=4), note=notes)
def test_several_producers_at_once(learner, streams, shard_count, batches, note):
    # Distinct users per producer, as separate apps would have.
    batches = [[dict(e, userId=f"p{i}:{e['userId']}") for e in plain(batch)] for i, batch in enumerate(batches)]
    checks.check_concurrent_producers(learner, streams, shard_count, batches)


@pytest.mark.task("producer.concurrency")
@pytest.mark.clause("concurrency.instance")
@settings(max_examples=1)
@example(shard_count=1, first=TWO_USERS, second=TWO_USERS[:2])
@given(shard_count=shard_counts, first=user_events(min_size=2, max_size=6), second=user_events(min_size=2, max_size=6))
def test_two_producers_in_one_program(learner, streams, shard_count, first, second):
    # Class attributes or module globals shared by two producers show here.
    checks.check_producers_in_one_process(learner, streams, shard_count, plain(first), plain(second))
