"""Kinesis's documented limits, and the checks of one request against them.

Every value here is AWS's (see the fidelity table in README.md for the page each comes
from); the errors carry AWS's codes and the wording of its messages. What needs state
(rates, iterators' ages, stream status, pages) is in ``grader.kinesis.rules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account, as in its own messages
MiB = 1024 * 1024

# Per shard, per second (provisioned mode).
GET_RECORDS_CALLS_PER_SECOND = 5
BYTES_OUT_PER_SECOND = 2 * MiB
RECORDS_IN_PER_SECOND = 1000
BYTES_IN_PER_SECOND = 1 * MiB
# Per request.
GET_RECORDS_MAX_LIMIT = 10_000
PUT_RECORDS_MAX_ENTRIES = 500
PUT_RECORDS_MAX_BYTES = 5 * MiB
RECORD_MAX_BYTES = 1 * MiB  # data plus partition key
PARTITION_KEY_MAX_CHARS = 256
DESCRIBE_STREAM_MAX_SHARDS = 100
LIST_SHARDS_MAX_RESULTS = 10_000  # a larger MaxResults is refused
LIST_SHARDS_DEFAULT_RESULTS = 1000  # and at most this many come back in one page
# Time.
ITERATOR_LIFETIME_SECONDS = 300.0
CREATING_SECONDS = 5.0  # simulated; AWS gives no figure, small streams take seconds
UPDATING_SECONDS = 5.0
# Account (us-east-1, us-west-2 and eu-west-1 get 500; other regions 200).
ACCOUNT_SHARD_QUOTA = 500


@dataclass(frozen=True)
class Refusal:
    """An AWS error answer: HTTP status, error code and message."""

    status: int
    code: str
    message: str


def validation(value: Any, member: str, constraint: str) -> Refusal:
    """AWS's input-validation error, e.g. for Limit=20000."""
    shown = f"Value '{value}' at '{member}'" if value is not None else f"Value at '{member}'"
    return Refusal(
        400, "ValidationException", f"1 validation error detected: {shown} failed to satisfy constraint: {constraint}"
    )


def invalid_argument(message: str) -> Refusal:
    return Refusal(400, "InvalidArgumentException", message)


def throttled(shard_id: str, stream: str, operation: str) -> Refusal:
    """What a shard over its read or write rate answers."""
    where = f"{shard_id} in stream {stream} under account {ACCOUNT_ID}"
    text = f"Rate exceeded for Shard - {where}." if operation == "GetRecords" else f"Rate exceeded for shard {where}."
    return Refusal(400, "ProvisionedThroughputExceededException", text)


def not_found(stream: str) -> Refusal:
    return Refusal(400, "ResourceNotFoundException", f"Stream {stream} under account {ACCOUNT_ID} not found.")


def in_use(stream: str, status: str) -> Refusal:
    return Refusal(
        400,
        "ResourceInUseException",
        f"Stream {stream} under account {ACCOUNT_ID} not ACTIVE, instead in state {status}",
    )


def quota_exceeded(current: int, requested: int) -> Refusal:
    return Refusal(
        400,
        "LimitExceededException",
        f"This request would exceed the shard limit for the account {ACCOUNT_ID} in us-east-1. "
        f"Current shard count for the account: {current}. Limit: {ACCOUNT_SHARD_QUOTA}. "
        f"Number of additional shards that would have resulted from this request: {requested}. "
        "Refer to the AWS Service Limits page for current limits and how to request higher limits.",
    )


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _data_bytes(data: Any) -> int:
    """Length of a record's data, from its base64 text (without decoding it: it may be MiBs)."""
    if not isinstance(data, str):
        return 0
    text = data.rstrip()
    return len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))


def _key_refusal(key: Any, member: str) -> Refusal | None:
    if not isinstance(key, str):
        return None  # moto answers a missing or odd key itself
    if len(key) < 1:
        return validation(key, member, "Member must have length greater than or equal to 1")
    if len(key) > PARTITION_KEY_MAX_CHARS:
        return validation(key, member, f"Member must have length less than or equal to {PARTITION_KEY_MAX_CHARS}")
    return None


def record_bytes(entry: dict[str, Any]) -> int:
    """Bytes a record counts against the limits: its data plus its partition key (UTF-8)."""
    key = entry.get("PartitionKey")
    return _data_bytes(entry.get("Data")) + (len(key.encode("utf-8")) if isinstance(key, str) else 0)


def check_request(operation: str, request: dict[str, Any]) -> Refusal | None:
    """The refusal AWS gives this request whatever the state of the stream, or None."""
    if operation == "GetRecords":
        limit = request.get("Limit")
        if _int(limit) is not None and limit > GET_RECORDS_MAX_LIMIT:
            return validation(limit, "limit", f"Member must have value less than or equal to {GET_RECORDS_MAX_LIMIT}")
        if _int(limit) is not None and limit < 1:
            return validation(limit, "limit", "Member must have value greater than or equal to 1")
    elif operation == "PutRecord":
        refusal = _key_refusal(request.get("PartitionKey"), "partitionKey")
        if refusal is None and record_bytes(request) > RECORD_MAX_BYTES:
            data_size = _data_bytes(request.get("Data"))
            if data_size > RECORD_MAX_BYTES:
                return validation(None, "data", f"Member must have length less than or equal to {RECORD_MAX_BYTES}")
            return invalid_argument(f"Record size (data and partition key) exceeds {RECORD_MAX_BYTES} bytes")
        return refusal
    elif operation == "PutRecords":
        entries = request.get("Records")
        if not isinstance(entries, list):
            return None
        if len(entries) > PUT_RECORDS_MAX_ENTRIES:
            return validation(
                None, "records", f"Member must have length less than or equal to {PUT_RECORDS_MAX_ENTRIES}"
            )
        if not entries:
            return validation(None, "records", "Member must have length greater than or equal to 1")
        sizes = []
        for position, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                return None
            refusal = _key_refusal(entry.get("PartitionKey"), f"records.{position}.member.partitionKey")
            if refusal is not None:
                return refusal
            sizes.append(record_bytes(entry))
            if sizes[-1] > RECORD_MAX_BYTES:
                return validation(
                    None,
                    f"records.{position}.member.data",
                    f"Member must have length less than or equal to {RECORD_MAX_BYTES}",
                )
        if sum(sizes) > PUT_RECORDS_MAX_BYTES:
            return invalid_argument("Records size exceeds 5 MB limit")
    elif operation in ("CreateStream", "UpdateShardCount"):
        member, value = (
            ("shardCount", request.get("ShardCount"))
            if operation == "CreateStream"
            else ("targetShardCount", request.get("TargetShardCount"))
        )
        if _int(value) is not None and value < 1:
            return validation(value, member, "Member must have value greater than or equal to 1")
    elif operation == "DescribeStream":
        limit = request.get("Limit")
        if _int(limit) is not None and not 1 <= limit <= 10_000:
            bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 10000"
            return validation(limit, "limit", f"Member must have value {bound}")
    elif operation == "ListShards":
        limit = request.get("MaxResults")
        if _int(limit) is not None and not 1 <= limit <= LIST_SHARDS_MAX_RESULTS:
            bound = "greater than or equal to 1" if limit < 1 else f"less than or equal to {LIST_SHARDS_MAX_RESULTS}"
            return validation(limit, "maxResults", f"Member must have value {bound}")
        if request.get("NextToken") is not None and (request.get("StreamName") or request.get("StreamARN")):
            return invalid_argument("NextToken and StreamName cannot be provided together.")
        if request.get("NextToken") is not None and request.get("ExclusiveStartShardId") is not None:
            return invalid_argument("NextToken and ExclusiveStartShardId cannot be provided together.")
    return None


SHARD_FILTER_TYPES = (
    "AFTER_SHARD_ID",
    "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON",
    "AT_LATEST",
    "AT_TIMESTAMP",
    "FROM_TIMESTAMP",
)


def shard_filter_refusal(shard_filter: Any) -> Refusal | None:
    """What AWS answers a ``ListShards`` ``ShardFilter`` it cannot use (boto3 checks only that Type is there)."""
    if not isinstance(shard_filter, dict):
        return None
    kind = shard_filter.get("Type")
    if kind not in SHARD_FILTER_TYPES:
        return validation(
            kind, "shardFilter.type", f"Member must satisfy enum value set: [{', '.join(SHARD_FILTER_TYPES)}]"
        )
    if (kind == "AFTER_SHARD_ID") != isinstance(shard_filter.get("ShardId"), str):
        return invalid_argument("ShardFilter's ShardId is required for AFTER_SHARD_ID and only allowed with it.")
    if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP") and shard_filter.get("Timestamp") is None:
        return invalid_argument(f"ShardFilter of type {kind} requires a Timestamp.")
    return None


class Bucket:
    """A token bucket: ``rate`` tokens a second, at most one second's worth saved up.

    ``take`` spends tokens only if they are all there; ``charge`` may overdraw (a read that
    returned a lot of data), and the bucket must refill past zero before it serves again.
    """

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.time = now

    def _refill(self, now: float) -> None:
        if now > self.time:
            self.tokens = min(self.rate, self.tokens + (now - self.time) * self.rate)
            self.time = now

    def available(self, now: float) -> float:
        self._refill(now)
        return self.tokens

    def take(self, amount: float, now: float) -> bool:
        self._refill(now)
        if self.tokens + 1e-9 < amount:
            return False
        self.tokens -= amount
        return True

    def charge(self, amount: float, now: float) -> None:
        self._refill(now)
        self.tokens -= amount


def stream_of(request: dict[str, Any]) -> str | None:
    """The stream a request names, by name or ARN."""
    name = request.get("StreamName")
    if isinstance(name, str):
        return name
    arn = request.get("StreamARN")
    return arn.rpartition("/")[2] if isinstance(arn, str) else None
