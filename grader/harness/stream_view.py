"""The trusted side's own view of the embedded Kinesis: make streams, read what really landed."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """One record as stored on a shard."""

    shard_id: str
    sequence: int
    key: str
    data: bytes

    def event(self) -> Any:
        """The record's data decoded as JSON (None if it is not JSON)."""
        try:
            return json.loads(self.data)
        except ValueError:
            return None


def hash_key(partition_key: str) -> int:
    """Kinesis's routing hash: MD5 of the key's UTF-8 bytes as a 128-bit integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def encode_event(event: Any) -> bytes:
    """How the trusted side writes events: UTF-8 JSON without escapes, so bytes != characters."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


class StreamView:
    """Streams made and read by the grader itself, never through learner code."""

    def __init__(self, client: Any) -> None:
        self.client = client
        # Per grading session, so a test's stream names (shown in messages) never depend on
        # what was graded before in the same process.
        self._names = itertools.count(1)

    def new_name(self) -> str:
        """A fresh stream name; deterministic so messages are the same on every run."""
        return f"stream-{next(self._names):04d}"

    def create(self, shards: int = 2, retention_hours: int | None = None) -> str:
        """Create an ACTIVE stream and return its name."""
        name = self.new_name()
        self.client.create_stream(StreamName=name, ShardCount=shards)
        if retention_hours is not None and retention_hours > 24:
            self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=retention_hours)
        return name

    def describe(self, name: str) -> dict[str, Any]:
        """``describe_stream``'s StreamDescription."""
        return self.client.describe_stream(StreamName=name)["StreamDescription"]

    def exists(self, name: str) -> bool:
        """Whether the stream exists."""
        try:
            self.describe(name)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True

    def shard_ranges(self, name: str) -> list[tuple[str, int, int]]:
        """(shard id, first hash key, last hash key) of every shard."""
        return [
            (s["ShardId"], int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in self.describe(name)["Shards"]
        ]

    def shard_for(self, name: str, partition_key: str, ranges: list[tuple[str, int, int]] | None = None) -> str:
        """The shard whose hash range holds MD5(partition_key); pass ``ranges`` to skip describing again."""
        value = hash_key(partition_key)
        for shard_id, low, high in ranges if ranges is not None else self.shard_ranges(name):
            if low <= value <= high:
                return shard_id
        raise AssertionError(f"no shard of {name} holds hash {value}")

    def put(self, name: str, keyed_events: list[tuple[str, Any]]) -> list[Record]:
        """Write events directly (in order, 500 per call) and return them as stored."""
        stored: list[Record] = []
        for start in range(0, len(keyed_events), 500):
            chunk = keyed_events[start : start + 500]
            entries = [{"Data": encode_event(e), "PartitionKey": k} for k, e in chunk]
            response = self.client.put_records(StreamName=name, Records=entries)
            for entry, answer in zip(entries, response["Records"]):
                stored.append(Record(answer["ShardId"], int(answer["SequenceNumber"]), entry["PartitionKey"], entry["Data"]))
        return stored

    def records(self, name: str) -> dict[str, list[Record]]:
        """Every record of every shard, in sequence order."""
        result: dict[str, list[Record]] = {}
        for shard_id, _, _ in self.shard_ranges(name):
            iterator = self.client.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            found: list[Record] = []
            while True:
                response = self.client.get_records(ShardIterator=iterator, Limit=10000)
                found.extend(Record(shard_id, int(r["SequenceNumber"]), r["PartitionKey"], r["Data"]) for r in response["Records"])
                if not response["Records"]:
                    break
                iterator = response["NextShardIterator"]
            result[shard_id] = sorted(found, key=lambda r: r.sequence)
        return result

    def all_records(self, name: str) -> list[Record]:
        """Every record of the stream, shard after shard."""
        return [r for shard in self.records(name).values() for r in shard]
