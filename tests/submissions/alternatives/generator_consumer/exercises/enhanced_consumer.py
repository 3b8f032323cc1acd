"""Consumer built on a generator of records: stopping rules are just where iteration ends."""

import itertools
import json
import os
import time

import boto3
from botocore.exceptions import ClientError

TRANSIENT = {"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException",
             "InternalFailure", "InternalServerError", "ServiceUnavailable", "KMSThrottlingException"}


def _client():
    return boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


class EventConsumer:
    def __init__(self, stream_name, shard_id, *, client=None, event_filter=None, poll_interval=1.0):
        self.stream_name = stream_name
        self.shard_id = shard_id
        self.kinesis = client or _client()
        self.event_filter = event_filter
        self.poll_interval = poll_interval
        self.events_processed = 0
        self.bytes_processed = 0
        self.events_matched = 0
        self.start = time.monotonic()

    def get_shard_iterator(self, iterator_type="TRIM_HORIZON"):
        return self.kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId=self.shard_id, ShardIteratorType=iterator_type)["ShardIterator"]

    def process_event(self, event):
        if self.event_filter is not None and not self.event_filter(event):
            return False
        return True

    def records(self, max_seconds=None, batch=10000):
        """Yield records oldest first; ends when caught up (or, with max_seconds, when time is up)."""
        started = time.monotonic()
        iterator = self.get_shard_iterator()
        errors = 0
        while iterator:
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                return
            try:
                response = self.kinesis.get_records(ShardIterator=iterator, Limit=batch)
            except ClientError as error:
                errors += 1
                if error.response["Error"]["Code"] not in TRANSIENT or errors > 10:
                    raise
                time.sleep(0.05 * errors)
                continue
            errors = 0
            yield from response["Records"]
            iterator = response.get("NextShardIterator")
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                if max_seconds is None:
                    return
                time.sleep(self.poll_interval)

    def consume(self, max_events=None, max_seconds=None):
        batch = 10000 if max_events is None else max(1, min(10000, max_events))
        stream = self.records(max_seconds, batch)
        if max_events is not None:
            stream = itertools.islice(stream, max_events)
        matched = []
        for record in stream:
            self.events_processed += 1
            self.bytes_processed += len(record["Data"])
            event = json.loads(record["Data"])
            if self.process_event(event):
                self.events_matched += 1
                matched.append(event)
        return matched

    def get_stats(self):
        duration = time.monotonic() - self.start
        rate = self.events_processed / duration if duration > 0 else 0.0
        return {"events_processed": self.events_processed, "bytes_processed": self.bytes_processed,
                "events_matched": self.events_matched, "duration_seconds": duration, "events_per_second": rate}

    def print_stats(self):
        print(self.get_stats())


def _shard_pages(kinesis, stream_name):
    # Not boto3's list_shards paginator: it sends StreamName again with each NextToken, which Kinesis refuses.
    page = kinesis.list_shards(StreamName=stream_name)
    yield page
    while page.get("NextToken"):
        page = kinesis.list_shards(NextToken=page["NextToken"])
        yield page


def list_shard_ids(stream_name, *, client=None):
    kinesis = client or _client()
    return [shard["ShardId"] for page in _shard_pages(kinesis, stream_name) for shard in page["Shards"]]


def consume_stream(stream_name, max_events=None, *, client=None, event_filter=None):
    kinesis = client or _client()
    events = []
    read = 0
    for shard_id in list_shard_ids(stream_name, client=kinesis):
        left = None if max_events is None else max_events - read
        if left == 0:
            break
        consumer = EventConsumer(stream_name, shard_id, client=kinesis, event_filter=event_filter)
        events.extend(consumer.consume(max_events=left))
        read += consumer.events_processed
    return events


if __name__ == "__main__":
    print(consume_stream("user-activity"))
