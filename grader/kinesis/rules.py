"""What the embedded Kinesis enforces beyond moto: rates, iterator ages, status, pages.

Time is the learner's simulated clock (``grader.sandbox.virtual_time``). Each request from
a sandboxed run carries ``X-Grader-Clock: <pid> <seconds>``; the server keeps, per process,
``max(its last time + CALL_SECONDS, what the process reports)`` and answers with that time,
which the process adopts. Reporting a later time is the same as sleeping (the run pays for
it in simulated seconds); reporting an earlier one changes nothing; leaving the header out
puts the caller on real time, where a sandboxed run's calls come milliseconds apart.
``new_run`` starts a fresh timeline: every run (and every group of runs that run together)
starts its clocks at 0, with full rate budgets and every stream ACTIVE.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from grader.kinesis import limits
from grader.kinesis.limits import Bucket, Refusal, stream_of

CLOCK_HEADER = "X-Grader-Clock"
CALL_SECONDS = 0.005  # the sandbox's simulated cost of one call (virtual_time.HTTP_CALL_SECONDS)
STATUS_OPERATIONS = ("DescribeStream", "DescribeStreamSummary")
REFUSED_WHILE_CREATING = ("PutRecord", "PutRecords", "GetShardIterator", "GetRecords")
RESHARDING = ("UpdateShardCount", "SplitShard", "MergeShards")
MotoCall = Callable[[dict[str, Any] | None], tuple[int, dict[str, str], Any]]


def iterator_position(iterator: Any) -> tuple[str, str] | None:
    """(stream, shard id) of one of moto's shard iterators, or None if it is not one."""
    if not isinstance(iterator, str):
        return None
    try:
        parts = base64.b64decode(iterator.encode("ascii")).decode("utf-8").split(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return (parts[0], parts[1]) if len(parts) == 3 else None


def _encode_token(stream: str, after: str, shard_filter: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([stream, after, shard_filter]).encode()).decode()


def _decode_token(token: Any) -> tuple[str, str, Any] | None:
    try:
        stream, after, shard_filter = json.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        return None
    return (stream, after, shard_filter) if isinstance(stream, str) and isinstance(after, str) else None


def filtered_shards(shards: list[dict[str, Any]], shard_filter: Any) -> list[dict[str, Any]]:
    """The shards a ``ShardFilter`` keeps (``limits.shard_filter_refusal`` has accepted it).

    Nothing expires here (retention is at least 24 hours, runs last seconds), so every shard is
    within the retention period. AT_LATEST keeps the open shards (no EndingSequenceNumber);
    AT_TRIM_HORIZON the shards open at the oldest record, those with no parent in the stream;
    AFTER_SHARD_ID those after its ShardId; FROM_TRIM_HORIZON (the default) and the
    timestamp types every shard (shards here carry no start or end time).
    """
    kind = shard_filter.get("Type") if isinstance(shard_filter, dict) else None
    if kind == "AT_LATEST":
        return [s for s in shards if "EndingSequenceNumber" not in (s.get("SequenceNumberRange") or {})]
    if kind == "AT_TRIM_HORIZON":
        ids = {s.get("ShardId") for s in shards}
        return [s for s in shards if s.get("ParentShardId") not in ids]
    if kind == "AFTER_SHARD_ID":
        return [s for s in shards if s.get("ShardId", "") > shard_filter["ShardId"]]
    return shards


class Rules:
    """State of the limits for one embedded Kinesis (callers hold its lock)."""

    def __init__(self, backend: Callable[[], Any]) -> None:
        self._backend = backend
        self._real_start = time.monotonic()
        # How this Kinesis shapes its answers within what AWS allows; a check may change them
        # for one run (``grader.kinesis.faults.installed``), and a new run keeps them.
        self.shards_per_page = limits.LIST_SHARDS_DEFAULT_RESULTS  # pages may be shorter than asked for
        self.creating_seconds = limits.CREATING_SECONDS  # make run and the experiments, on real time, shorten it
        self.now = 0.0  # the simulated time of the request being served
        self.new_run()

    def new_run(self) -> None:
        """A new run begins: fresh clocks and rate budgets; streams that were changing are ACTIVE."""
        self.clocks: dict[str, float] = {}
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.iterators: dict[str, float] = {}  # iterator -> when it was handed out
        self.status: dict[str, tuple[str, float]] = {}  # stream -> (CREATING/UPDATING, until)
        self.calls: Counter[str] = Counter()  # per operation, refused calls included
        self.refused: Counter[str] = Counter()  # per error code

    # -- time --------------------------------------------------------------------------
    def clock(self, header: str | None) -> float:
        """The caller's simulated time for this request (see the module docstring)."""
        if header is None:
            return time.monotonic() - self._real_start
        key, _, reported_text = header.strip().partition(" ")
        try:
            reported = float(reported_text)
        except ValueError:
            reported = -math.inf
        if not math.isfinite(reported) or reported < 0:
            reported = -math.inf
        last = self.clocks.get(key[:32])
        now = max(reported, 0.0) if last is None else max(last + CALL_SECONDS, reported)
        self.clocks[key[:32]] = self.now = now
        return now

    def _bucket(self, stream: str, shard: str, kind: str, rate: float, now: float) -> Bucket:
        key = (stream, shard, kind)
        if key not in self.buckets:
            self.buckets[key] = Bucket(rate, now)
        return self.buckets[key]

    def _stream_status(self, name: str | None, now: float) -> str | None:
        entry = self.status.get(name or "")
        if entry is None:
            return None
        if now >= entry[1]:
            del self.status[name or ""]
            return None
        return entry[0]

    # -- before moto -------------------------------------------------------------------
    def admit(self, operation: str, request: dict[str, Any], now: float) -> Refusal | None:
        """The error AWS would answer instead of serving this call, or None."""
        self.calls[operation] += 1
        refusal = limits.check_request(operation, request) or self._state_refusal(operation, request, now)
        if refusal is not None:
            self.refused[refusal.code] += 1
        return refusal

    def _state_refusal(self, operation: str, request: dict[str, Any], now: float) -> Refusal | None:
        position = iterator_position(request.get("ShardIterator")) if operation == "GetRecords" else None
        name = position[0] if position else stream_of(request)
        status = self._stream_status(name, now)
        if status == "CREATING" and operation in REFUSED_WHILE_CREATING:
            return limits.not_found(name or "")
        if (status is not None and operation in RESHARDING) or (status == "CREATING" and operation == "ListShards"):
            return limits.in_use(name or "", status)
        if operation == "GetRecords":
            issued = self.iterators.get(request["ShardIterator"]) if position else None
            if issued is not None and now - issued > limits.ITERATOR_LIFETIME_SECONDS:
                return Refusal(400, "ExpiredIteratorException", self._expired_message(issued, now))
            if position is not None:
                calls = self._bucket(*position, "reads", limits.GET_RECORDS_CALLS_PER_SECOND, now)
                out = self._bucket(*position, "out", limits.BYTES_OUT_PER_SECOND, now)
                if out.available(now) <= 0 or not calls.take(1, now):
                    return limits.throttled(position[1], position[0], operation)
        elif operation == "PutRecord" and name is not None:
            shard = self._shard_for(name, request)
            if shard is not None and not self._take_write(name, shard, limits.record_bytes(request), now):
                return limits.throttled(shard, name, operation)
        elif operation in ("CreateStream", "UpdateShardCount"):
            return self._quota_refusal(operation, request, name)
        return None

    def _expired_message(self, issued: float, now: float) -> str:
        def stamp(seconds: float) -> str:
            return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(seconds))

        return (
            f"Iterator expired. The iterator was created at time {stamp(issued)} while right now it is "
            f"{stamp(now)} which is further in the future than the tolerated delay of "
            f"{int(limits.ITERATOR_LIFETIME_SECONDS * 1000)} milliseconds."
        )

    def _quota_refusal(self, operation: str, request: dict[str, Any], name: str | None) -> Refusal | None:
        streams = self._backend().streams
        open_shards = sum(1 for s in streams.values() for shard in s.shards.values() if shard.is_open)
        if operation == "CreateStream":
            wanted = request.get("ShardCount", 1) if type(request.get("ShardCount")) is int else 1
            if name in streams:
                return None  # moto answers ResourceInUseException
        else:
            target = request.get("TargetShardCount")
            stream = streams.get(name or "")
            if type(target) is not int or stream is None:
                return None
            wanted = target - sum(1 for shard in stream.shards.values() if shard.is_open)
        if open_shards + wanted > limits.ACCOUNT_SHARD_QUOTA:
            return limits.quota_exceeded(open_shards, wanted)
        return None

    def _shard_for(self, name: str, entry: dict[str, Any]) -> str | None:
        stream = self._backend().streams.get(name)
        key = entry.get("PartitionKey")
        if stream is None or not isinstance(key, str):
            return None
        try:
            shard = stream.get_shard_for_key(key, entry.get("ExplicitHashKey"))
        except Exception:  # noqa: BLE001 - moto answers a bad key itself
            return None
        return shard.shard_id if shard is not None else None

    def _take_write(self, name: str, shard: str, size: int, now: float) -> bool:
        records = self._bucket(name, shard, "records", limits.RECORDS_IN_PER_SECOND, now)
        data = self._bucket(name, shard, "in", limits.BYTES_IN_PER_SECOND, now)
        if records.available(now) < 1 - 1e-9 or data.available(now) + 1e-9 < size:
            return False
        records.take(1, now)
        data.take(size, now)
        return True

    # -- serving -----------------------------------------------------------------------
    def serve(
        self, operation: str, request: dict[str, Any], now: float, call: MotoCall
    ) -> tuple[int, dict[str, str], Any]:
        """Serve an admitted call through moto, adding what moto does not do."""
        name = stream_of(request)
        if operation == "PutRecords" and name is not None and isinstance(request.get("Records"), list):
            return self._put_records(name, request, now, call)
        if operation == "ListShards":
            return self._list_shards(request, call)
        if operation == "DescribeStream":
            forwarded = {k: v for k, v in request.items() if k not in ("Limit", "ExclusiveStartShardId")}
            status, headers, out = call(forwarded)
        else:
            status, headers, out = call(None)
        if status != 200:
            return status, headers, out
        if operation in STATUS_OPERATIONS:
            answer = json.loads(out or b"{}")
            if operation == "DescribeStream":
                answer = self._describe_page(answer, request, now)
            else:
                self._overlay_status(answer.get("StreamDescriptionSummary"), name, now)
            return status, headers, json.dumps(answer)
        # Otherwise only bookkeeping: moto's answer goes out as it is.
        if operation == "GetShardIterator":
            self.iterators[str(json.loads(out or b"{}").get("ShardIterator"))] = now
        elif operation == "GetRecords":
            self._after_read(request, json.loads(out or b"{}"), now)
        elif operation == "CreateStream" and name:
            self.status[name] = ("CREATING", now + self.creating_seconds)
        elif operation in RESHARDING and name:
            self.status[name] = ("UPDATING", now + limits.UPDATING_SECONDS)
        elif operation == "DeleteStream" and name:
            self.status.pop(name, None)
        return status, headers, out

    def _overlay_status(self, description: Any, name: str | None, now: float) -> None:
        status = self._stream_status(name, now)
        if isinstance(description, dict) and status is not None:
            description["StreamStatus"] = status

    def _describe_page(self, answer: dict[str, Any], request: dict[str, Any], now: float) -> dict[str, Any]:
        description = answer.get("StreamDescription")
        if not isinstance(description, dict) or not isinstance(description.get("Shards"), list):
            return answer
        self._overlay_status(description, stream_of(request), now)
        shards = description["Shards"]
        after = request.get("ExclusiveStartShardId")
        if isinstance(after, str):
            shards = [s for s in shards if s.get("ShardId", "") > after]
        limit = request.get("Limit")
        wanted = limit if type(limit) is int else limits.DESCRIBE_STREAM_MAX_SHARDS
        size = min(wanted, limits.DESCRIBE_STREAM_MAX_SHARDS, self.shards_per_page)
        description["Shards"], description["HasMoreShards"] = shards[:size], len(shards) > size
        return answer

    def _list_shards(self, request: dict[str, Any], call: MotoCall) -> tuple[int, dict[str, str], Any]:
        """A page of shards after ``ExclusiveStartShardId`` or the token's place, as ``ShardFilter`` chooses.

        A page holds at most ``MaxResults`` shards, and may hold fewer (``shards_per_page``)
        with a ``NextToken`` while more remain; the token names the stream, the place and the
        filter, so a paged call names nothing else.
        """
        token = request.get("NextToken")
        after = request.get("ExclusiveStartShardId")
        shard_filter = request.get("ShardFilter")
        forwarded = {k: v for k, v in request.items() if k in ("StreamName", "StreamARN")}
        if token is not None:
            decoded = _decode_token(token)
            if decoded is None:
                return self._refused(limits.invalid_argument("Invalid ListShards token."))
            forwarded, after, shard_filter = {"StreamName": decoded[0]}, decoded[1], decoded[2]
        refusal = limits.shard_filter_refusal(shard_filter)
        if refusal is not None:
            return self._refused(refusal)
        status, headers, out = call(forwarded)
        if status != 200:
            return status, headers, out
        answer = json.loads(out or b"{}")
        shards = filtered_shards(sorted(answer.get("Shards") or [], key=lambda s: s.get("ShardId", "")), shard_filter)
        if isinstance(after, str):
            shards = [s for s in shards if s.get("ShardId", "") > after]
        wanted = request.get("MaxResults")
        size = min(
            wanted if type(wanted) is int else limits.LIST_SHARDS_DEFAULT_RESULTS,
            limits.LIST_SHARDS_DEFAULT_RESULTS,
            self.shards_per_page,
        )
        page: dict[str, Any] = {"Shards": shards[:size]}
        if len(shards) > size:
            stream = forwarded.get("StreamName") or stream_of(forwarded) or ""
            page["NextToken"] = _encode_token(stream, shards[size - 1]["ShardId"], shard_filter)
        return status, headers, json.dumps(page)

    def _refused(self, refusal: Refusal) -> tuple[int, dict[str, str], Any]:
        self.refused[refusal.code] += 1
        return refusal.status, {}, json.dumps({"__type": refusal.code, "message": refusal.message})

    def _after_read(self, request: dict[str, Any], answer: dict[str, Any], now: float) -> None:
        position = iterator_position(request.get("ShardIterator"))
        if position is not None:
            size = sum(
                len(str(r.get("Data", ""))) * 3 // 4 + len(str(r.get("PartitionKey", "")))
                for r in answer.get("Records") or []
                if isinstance(r, dict)
            )
            self._bucket(*position, "out", limits.BYTES_OUT_PER_SECOND, now).charge(size, now)
        following = answer.get("NextShardIterator")
        if isinstance(following, str):
            self.iterators[following] = now

    def _put_records(
        self, name: str, request: dict[str, Any], now: float, call: MotoCall
    ) -> tuple[int, dict[str, str], Any]:
        """Store the entries the shards have room for; answer the others as throttled, in place."""
        entries = request["Records"]
        admitted: list[int] = []
        refused: dict[int, Refusal] = {}
        for index, entry in enumerate(entries):
            shard = self._shard_for(name, entry) if isinstance(entry, dict) else None
            if shard is not None and not self._take_write(name, shard, limits.record_bytes(entry), now):
                refused[index] = limits.throttled(shard, name, "PutRecords")
            else:
                admitted.append(index)
        if not refused:
            return call(None)
        self.refused["ProvisionedThroughputExceededException"] += len(refused)
        stored: list[dict[str, Any]] = []
        status, headers = 200, {"Content-Type": "application/x-amz-json-1.1"}
        if admitted:
            status, headers, out = call({**request, "Records": [entries[i] for i in admitted]})
            if status != 200:
                return status, headers, out
            stored = json.loads(out or b"{}").get("Records") or []
        answers = dict(zip(admitted, stored))
        for index, refusal in refused.items():
            answers[index] = {"ErrorCode": refusal.code, "ErrorMessage": refusal.message}
        records = [answers[i] for i in range(len(entries))]
        failed = sum(1 for r in records if "ErrorCode" in r)
        return status, headers, json.dumps({"FailedRecordCount": failed, "Records": records})
