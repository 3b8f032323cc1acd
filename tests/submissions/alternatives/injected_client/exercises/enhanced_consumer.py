"""Consumer whose Kinesis access is injected: one small gateway object, made once and passed on."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

RETRY_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException",
               "InternalFailure", "InternalServerError", "ServiceUnavailable", "KMSThrottlingException"}


class Gateway(Protocol):
    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_records(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_shards(self, **kwargs: Any) -> dict[str, Any]: ...


def default_gateway() -> Gateway:
    return boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


class EventConsumer:
    def __init__(self, stream_name: str, shard_id: str, *, client: Gateway | None = None,
                 event_filter: Callable[[dict[str, Any]], bool] | None = None, poll_interval: float = 1.0) -> None:
        self.stream_name, self.shard_id = stream_name, shard_id
        self.gateway = client if client is not None else default_gateway()
        self.event_filter, self.poll_interval = event_filter, poll_interval
        self.events_processed = self.bytes_processed = self.events_matched = 0
        self.created = time.perf_counter()

    def get_shard_iterator(self, iterator_type: str = "TRIM_HORIZON") -> str:
        return self.gateway.get_shard_iterator(StreamName=self.stream_name, ShardId=self.shard_id, ShardIteratorType=iterator_type)["ShardIterator"]

    def process_event(self, event: dict[str, Any]) -> bool:
        return self.event_filter is None or bool(self.event_filter(event))

    def _read(self, iterator: str, limit: int) -> dict[str, Any] | None:
        for attempt in range(12):
            try:
                return self.gateway.get_records(ShardIterator=iterator, Limit=limit)
            except ClientError as error:
                if error.response["Error"]["Code"] not in RETRY_CODES:
                    raise
                time.sleep(0.1 * (attempt + 1))
        return None

    def consume(self, max_events: int | None = None, max_seconds: float | None = None) -> list[dict[str, Any]]:
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        iterator, matched, read = self.get_shard_iterator(), [], 0
        while iterator and (max_events is None or read < max_events) and (deadline is None or time.perf_counter() < deadline):
            response = self._read(iterator, 10000 if max_events is None else min(10000, max_events - read))
            if response is None:
                break
            for record in response["Records"]:
                read += 1
                self.events_processed += 1
                self.bytes_processed += len(record["Data"])
                event = json.loads(record["Data"])
                if self.process_event(event):
                    self.events_matched += 1
                    matched.append(event)
            iterator = response.get("NextShardIterator")
            if not response["Records"] and not response.get("MillisBehindLatest"):
                if deadline is None:
                    break
                time.sleep(self.poll_interval)
        return matched

    def get_stats(self) -> dict[str, Any]:
        seconds = time.perf_counter() - self.created
        return {"events_processed": self.events_processed, "bytes_processed": self.bytes_processed,
                "events_matched": self.events_matched, "duration_seconds": seconds,
                "events_per_second": self.events_processed / seconds if seconds > 0 else 0.0}

    def print_stats(self) -> None:
        print(self.get_stats())


def list_shard_ids(stream_name: str, *, client: Gateway | None = None) -> list[str]:
    gateway = client if client is not None else default_gateway()
    ids, request = [], {"StreamName": stream_name}
    while True:
        page = gateway.list_shards(**request)
        ids += [shard["ShardId"] for shard in page["Shards"]]
        if not page.get("NextToken"):
            return ids
        request = {"NextToken": page["NextToken"]}


def consume_stream(stream_name: str, max_events: int | None = None, *, client: Gateway | None = None,
                   event_filter: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    gateway = client if client is not None else default_gateway()
    events: list[dict[str, Any]] = []
    read = 0
    for shard_id in list_shard_ids(stream_name, client=gateway):
        if max_events is not None and read >= max_events:
            break
        consumer = EventConsumer(stream_name, shard_id, client=gateway, event_filter=event_filter)
        events += consumer.consume(None if max_events is None else max_events - read)
        read += consumer.events_processed
    return events


if __name__ == "__main__":
    print(consume_stream("user-activity"))
