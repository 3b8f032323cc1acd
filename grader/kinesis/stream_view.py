"""The trusted side's own view of the embedded Kinesis: make streams, read what really landed."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.kinesis.server import EmbeddedKinesis


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


def event_identity(event: Any) -> str:
    """An event as checks compare it: its JSON with sorted keys, so that, as with ``==`` on dicts,
    key order, spacing and escapes never matter, while types still do (``1`` is not ``True``)."""
    try:
        return json.dumps(event, sort_keys=True, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # keys that cannot be sorted or written: what learner code made
        return repr(event)


class StreamView:
    """Streams made and read by the grader itself, never through learner code.

    It works on the embedded Kinesis's storage (moto's backend) directly, under the server's
    lock: what it reads is what landed, whatever the learner's code or client claims, and a
    read costs microseconds instead of the ~8 ms of an HTTP round trip through boto3. A
    grading makes several hundred of these reads, so this alone saves seconds per grading.
    """

    def __init__(self, kinesis: EmbeddedKinesis) -> None:
        self.kinesis = kinesis
        # Per grading session, so a test's stream names (shown in messages) never depend on
        # what was graded before in the same process.
        self._names = itertools.count(1)

    def new_name(self) -> str:
        """A fresh stream name; deterministic so messages are the same on every run."""
        return f"stream-{next(self._names):04d}"

    def create(self, shards: int = 2, retention_hours: int | None = None) -> str:
        """Create an ACTIVE stream and return its name."""
        name = self.new_name()
        with self.kinesis.lock:
            backend = self.kinesis.backend()
            backend.create_stream(name, shards)
            if retention_hours is not None and retention_hours > 24:
                backend.increase_stream_retention_period(None, name, retention_hours)
        return name

    def describe(self, name: str) -> dict[str, Any]:
        """What ``describe_stream`` answers in its StreamDescription (KeyError if no such stream)."""
        with self.kinesis.lock:
            stream = self.kinesis.backend().streams[name]
            return stream.to_json()["StreamDescription"]

    def exists(self, name: str) -> bool:
        """Whether the stream exists."""
        with self.kinesis.lock:
            return name in self.kinesis.backend().streams

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
        """Write events directly, in order, and return them as stored."""
        stored: list[Record] = []
        with self.kinesis.lock:
            stream = self.kinesis.backend().streams[name]
            for key, event in keyed_events:
                data = encode_event(event)
                # moto keeps record data base64-encoded, as it arrives over the wire.
                sequence, shard_id = stream.put_record(key, None, base64.b64encode(data).decode("ascii"))
                stored.append(Record(shard_id, int(sequence), key, data))
        return stored

    def split_keeping_records(self, name: str, shard_id: str) -> list[str]:
        """Split a shard as AWS does: the parent is closed and keeps its records; two children
        take its hash range. Returns the children's ids (moto's own split moves the records)."""
        from moto.kinesis.models import Shard

        with self.kinesis.lock:
            stream = self.kinesis.backend().streams[name]
            parent = stream.shards[shard_id]
            last_id = max(s._shard_id for s in stream.shards.values())
            middle = (parent.starting_hash + parent.ending_hash) // 2
            children = [
                Shard(last_id + 1, parent.starting_hash, middle - 1, parent=shard_id),
                Shard(last_id + 2, middle, parent.ending_hash, parent=shard_id),
            ]
            for child in children:
                stream.shards[child.shard_id] = child
            parent.is_open = False
        return [child.shard_id for child in children]

    def put_on_open_shards(self, name: str, keyed_events: list[tuple[str, Any]]) -> list[Record]:
        """Write events to the open shard whose range holds each key (moto would pick a closed parent)."""
        stored = []
        with self.kinesis.lock:
            stream = self.kinesis.backend().streams[name]
            open_shards = [s for s in stream.shards.values() if s.is_open]
            for key, event in keyed_events:
                value = hash_key(key)
                shard = next(s for s in open_shards if s.starting_hash <= value <= s.ending_hash)
                data = encode_event(event)
                sequence = shard.put_record(key, base64.b64encode(data).decode("ascii"), None)
                stored.append(Record(shard.shard_id, int(sequence), key, data))
        return stored

    def records(self, name: str) -> dict[str, list[Record]]:
        """Every record of every shard, in sequence order."""
        with self.kinesis.lock:
            stream = self.kinesis.backend().streams[name]
            return {
                shard.shard_id: sorted(
                    (
                        Record(shard.shard_id, int(r.sequence_number), r.partition_key, base64.b64decode(r.data))
                        for r in shard.records.values()
                    ),
                    key=lambda r: r.sequence,
                )
                for shard in stream.shards.values()
            }

    def all_records(self, name: str) -> list[Record]:
        """Every record of the stream, shard after shard."""
        return [r for shard in self.records(name).values() for r in shard]
