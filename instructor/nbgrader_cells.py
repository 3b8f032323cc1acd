"""The notebook's own checks: setup, and per task a visible part and a hidden part.

They run in the notebook's kernel against moto's in-process ``mock_aws``, next to the
learner's code, so they are simpler than the grader's sandboxed tests: they check the same
behaviours with fixed examples.
"""

from __future__ import annotations

SETUP = '''\
# Setup: an in-process fake of Amazon Kinesis (moto). Run this cell first; do not change it.
import json
import os
import time
import uuid

for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION="us-east-1")

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

nb_mock = mock_aws()
nb_mock.start()  # every boto3 client made from now on talks to the fake, never to AWS
nb_kinesis = boto3.client("kinesis", region_name="us-east-1")


def nb_name():
    """A fresh stream name."""
    return f"nb-{uuid.uuid4().hex[:10]}"


def nb_stream(shards=1):
    """Create a stream with this many shards and return its name."""
    name = nb_name()
    nb_kinesis.create_stream(StreamName=name, ShardCount=shards)
    return name


def nb_put(stream, key, event):
    """Put one event as JSON, as a well-behaved producer would."""
    return nb_kinesis.put_record(StreamName=stream, Data=json.dumps(event).encode("utf-8"), PartitionKey=key)


def nb_shards(stream):
    """The stream's shard ids."""
    return [s["ShardId"] for s in nb_kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]]


def nb_records(stream):
    """Every record of the stream: shard, key, sequence number, raw data and decoded event."""
    found = []
    for shard in nb_shards(stream):
        iterator = nb_kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while True:
            response = nb_kinesis.get_records(ShardIterator=iterator, Limit=1000)
            for record in response["Records"]:
                found.append({"shard": shard, "key": record["PartitionKey"], "seq": record["SequenceNumber"],
                              "data": record["Data"], "event": json.loads(record["Data"])})
            if not response["Records"]:
                break
            iterator = response["NextShardIterator"]
    return found


class NbFlaky:
    """A Kinesis client whose first few put_record calls fail with a throttling error."""

    def __init__(self, client, failures):
        self.client, self.failures = client, failures

    def __getattr__(self, name):
        return getattr(self.client, name)

    def put_record(self, **kwargs):
        if self.failures > 0:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "PutRecord")
        return self.client.put_record(**kwargs)
'''

# task id -> (visible checks, hidden checks)
# Hidden checks of the full level's clauses only (grader/clauses.toml), added to a task's hidden part there.
FULL_LEVEL_CHECKS: dict[str, str] = {
    "producer.ordering": """\
stream = nb_stream(1)
events = [{"userId": "dana", "n": n} for n in range(4)]
results = EventProducer(stream, client=NbFlaky(nb_kinesis, failures=3)).send_batch(events, lambda e: e["userId"])
assert all(r["success"] for r in results), "a throttled send is tried again"
assert [r["event"]["n"] for r in nb_records(stream)] == [0, 1, 2, 3], "no event lost, order kept"
""",
}

CHECKS: dict[str, tuple[str, str]] = {
    "producer.stream_setup": (
        """\
stream = nb_name()
producer = EventProducer(stream)
assert producer.ensure_stream_exists(shard_count=3) is True, "a new stream: create it and return True"
description = nb_kinesis.describe_stream(StreamName=stream)["StreamDescription"]
assert description["StreamStatus"] == "ACTIVE" and len(description["Shards"]) == 3
""",
        """\
assert producer.ensure_stream_exists(shard_count=3) is False, "an existing stream: return False, raise nothing"
other = nb_stream(2)
assert EventProducer(other).ensure_stream_exists(shard_count=5) is False
assert len(nb_shards(other)) == 2, "an existing stream keeps its shards"
""",
    ),
    "producer.send_event": (
        """\
stream = nb_stream(2)
result = EventProducer(stream).send_event({"userId": "alice", "type": "login"}, "alice")
assert result["success"] is True, result
[record] = nb_records(stream)
assert record["event"] == {"userId": "alice", "type": "login"} and record["key"] == "alice"
assert (result["shard_id"], result["sequence_number"]) == (record["shard"], record["seq"])
""",
        """\
lost = EventProducer(nb_name())  # this stream does not exist, so put_record fails
result = lost.send_event({"userId": "bob"}, "bob")
assert result["success"] is False and result["error"], "a failed send is reported, not raised"
""",
    ),
    "producer.ordering": (
        """\
stream = nb_stream(2)
events = [{"userId": user, "n": n} for n, user in enumerate(["alice", "bob", "alice", "carol", "bob", "alice"])]
results = EventProducer(stream).send_batch(events, lambda e: e["userId"])
assert len(results) == 6 and all(r["success"] for r in results)
stored = nb_records(stream)
assert all(r["key"] == r["event"]["userId"] for r in stored), "each event's key is partition_key_fn(event)"
for user in ("alice", "bob", "carol"):
    assert [r["event"]["n"] for r in stored if r["key"] == user] == [e["n"] for e in events if e["userId"] == user]
""",
        """\
stream = nb_stream(1)
producer = EventProducer(stream)
first = producer.send_batch([{"userId": "dana", "n": 0}], lambda e: e["userId"])
second = producer.send_batch([{"userId": "dana", "n": 1}, {"userId": "eve", "n": 2}], lambda e: e["userId"])
assert len(first) == 1 and len(second) == 2, "one result per event of this call, in a new list"
""",
    ),
    "producer.counters": (
        (
            """\
stream = nb_stream(1)
producer = EventProducer(stream)
producer.send_event({"userId": "zoë", "item": "café crème"}, "zoë")
[record] = nb_records(stream)
assert producer.events_sent == 1
"""
            'assert producer.bytes_sent == len(record["data"]), f"{len(record[\'data\'])} bytes were stored, '
            'bytes_sent is {producer.bytes_sent}"\n'
        ),
        """\
failing = EventProducer(nb_name())
failing.send_event({"userId": "x"}, "x")
assert (failing.events_sent, failing.bytes_sent) == (0, 0), "a failed send is not counted"
producer.send_batch([{"userId": "ü", "n": n} for n in range(3)], lambda e: e["userId"])
assert producer.events_sent == 4 and producer.bytes_sent == sum(len(r["data"]) for r in nb_records(stream))
""",
    ),
    "producer.stats": (
        """\
stream = nb_stream(2)
assert EventProducer(stream).get_stats() == {"status": "ACTIVE", "shards": 2, "retention_hours": 24}
""",
        """\
stream = nb_stream(3)
nb_kinesis.increase_stream_retention_period(StreamName=stream, RetentionPeriodHours=48)
stats = EventProducer(stream).get_stats()
assert (stats["shards"], stats["retention_hours"]) == (3, 48), "read the values from describe_stream"
""",
    ),
    "producer.concurrency": (
        """\
stream = nb_stream(2)
first, second = EventProducer(stream), EventProducer(stream)
for n in range(3):
    first.send_event({"userId": "a", "n": n}, "a")
    second.send_event({"userId": "b", "n": n}, "b")
assert len(nb_records(stream)) == 6
assert (first.events_sent, second.events_sent) == (3, 3), "each producer counts only its own events"
""",
        """\
third = EventProducer(stream)
assert (third.events_sent, third.bytes_sent) == (0, 0), "a new producer starts from zero"
assert first.bytes_sent == sum(len(r["data"]) for r in nb_records(stream) if r["key"] == "a")
""",
    ),
    "consumer.read_shard": (
        """\
stream = nb_stream(1)
for n in range(5):
    nb_put(stream, "k", {"userId": "k", "n": n})
consumer = EventConsumer(stream, nb_shards(stream)[0])
assert [e["n"] for e in consumer.consume()] == [0, 1, 2, 3, 4]
assert consumer.events_processed == 5
assert consumer.bytes_processed == sum(len(r["data"]) for r in nb_records(stream))
""",
        """\
stream = nb_stream(1)
nb_put(stream, "zoë", {"userId": "zoë", "note": "déjà vu"})
consumer = EventConsumer(stream, nb_shards(stream)[0])
assert nb_kinesis.get_records(ShardIterator=consumer.get_shard_iterator())["Records"], "start at TRIM_HORIZON"
consumer.consume()
assert consumer.bytes_processed == len(nb_records(stream)[0]["data"]), "count bytes, not characters"
""",
    ),
    "consumer.all_shards": (
        """\
stream = nb_stream(3)
for n in range(12):
    nb_put(stream, f"user-{n}", {"userId": f"user-{n}", "n": n})
assert sorted(list_shard_ids(stream)) == sorted(nb_shards(stream))
assert sorted(e["n"] for e in consume_stream(stream)) == list(range(12))
""",
        """\
stream = nb_stream(5)
for n in range(30):
    nb_put(stream, f"u{n % 7}", {"userId": f"u{n % 7}", "n": n})
events = consume_stream(stream)
assert len(events) == 30
for user in {e["userId"] for e in events}:
    numbers = [e["n"] for e in events if e["userId"] == user]
    assert numbers == sorted(numbers), "one user's events keep their order"
assert len(consume_stream(stream, max_events=8)) == 8
""",
    ),
    "consumer.stopping": (
        """\
stream = nb_stream(1)
for n in range(10):
    nb_put(stream, "k", {"userId": "k", "n": n})
shard = nb_shards(stream)[0]
few = EventConsumer(stream, shard)
assert len(few.consume(max_events=4)) == 4 and few.events_processed == 4, "stop at exactly max_events"
assert len(EventConsumer(stream, shard).consume(max_events=50)) == 10, "stop when the shard runs dry"
""",
        """\
timed = EventConsumer(stream, shard, poll_interval=0.05)
started = time.monotonic()
timed.consume(max_seconds=0.5)
assert 0.4 <= time.monotonic() - started < 5, "keep polling until max_seconds, then stop"
assert EventConsumer(nb_stream(1), "shardId-000000000000").consume() == [], "an empty shard ends at once"
assert len(EventConsumer(stream, shard).consume(max_events=1)) == 1
""",
    ),
    "consumer.throughput": (
        """\
stream = nb_stream(1)
for n in range(10):
    nb_put(stream, "k", {"userId": "k", "n": n})
consumer = EventConsumer(stream, nb_shards(stream)[0])
consumer.consume()
stats = consumer.get_stats()
assert stats["events_processed"] == 10
assert isinstance(stats["duration_seconds"], float) and stats["duration_seconds"] > 0
""",
        """\
assert stats["duration_seconds"] < 60 and stats["events_per_second"] > 0, "under a second is not zero seconds"
assert abs(stats["events_per_second"] - 10 / stats["duration_seconds"]) <= 1e-6 * stats["events_per_second"]
""",
    ),
    "consumer.filtering": (
        """\
stream = nb_stream(1)
for n, kind in enumerate(["login", "add_to_cart", "search"] * 3):
    nb_put(stream, "u", {"userId": "u", "type": kind, "n": n})
shard = nb_shards(stream)[0]
carts = EventConsumer(stream, shard, event_filter=lambda e: e["type"] == "add_to_cart")
assert [e["n"] for e in carts.consume()] == [1, 4, 7]
assert (carts.events_processed, carts.events_matched) == (9, 3)
""",
        """\
everything = EventConsumer(stream, shard)
assert len(everything.consume()) == 9 and everything.events_matched == 9, "no filter: every event matches"
assert carts.process_event({"type": "login"}) is False and carts.process_event({"type": "add_to_cart"}) is True
""",
    ),
    "consumer.independence": (
        """\
stream = nb_stream(1)
for n in range(5):
    nb_put(stream, "k", {"userId": "k", "n": n})
shard = nb_shards(stream)[0]
one, two = EventConsumer(stream, shard), EventConsumer(stream, shard)
assert len(one.consume()) == 5 and len(two.consume()) == 5, "reading does not remove events"
""",
        """\
late = EventConsumer(stream, shard)
assert len(late.consume()) == 5 and (one.events_processed, late.events_processed) == (5, 5)
""",
    ),
}
