"""Consumer written the way the module's first example is: one client at module level."""

import json
import time

import boto3

kinesis_client = boto3.client("kinesis", region_name="us-east-1")
RETRYABLE_ERROR_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException", "InternalFailure",
    "InternalServerError", "ServiceUnavailable", "KMSThrottlingException",
}


class EventConsumer:
    def __init__(self, stream_name, shard_id, *, event_filter=None, poll_interval=1.0):
        self.stream_name = stream_name
        self.shard_id = shard_id
        self.event_filter = event_filter
        self.poll_interval = poll_interval
        self.events_processed = 0
        self.bytes_processed = 0
        self.events_matched = 0
        self.start_time = time.time()

    def get_shard_iterator(self, iterator_type="TRIM_HORIZON"):
        response = kinesis_client.get_shard_iterator(StreamName=self.stream_name, ShardId=self.shard_id, ShardIteratorType=iterator_type)
        return response["ShardIterator"]

    def process_event(self, event):
        if self.event_filter and not self.event_filter(event):
            return False
        print(f"Processing {event.get('type')} from {event.get('userId')}")
        return True

    def consume(self, max_events=None, max_seconds=None):
        started = time.time()
        shard_iterator = self.get_shard_iterator()
        matched = []
        count = 0
        failed = 0
        while True:
            if max_events is not None and count >= max_events:
                break
            if max_seconds is not None and time.time() - started >= max_seconds:
                break
            limit = 10000 if max_events is None else max_events - count
            try:
                response = kinesis_client.get_records(ShardIterator=shard_iterator, Limit=min(limit, 10000))
            except Exception as error:
                code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
                if code in RETRYABLE_ERROR_CODES:
                    failed += 1
                    time.sleep(0.25 * failed)  # a little longer after each failure
                    continue
                raise
            failed = 0
            for record in response["Records"]:
                count += 1
                self.events_processed += 1
                self.bytes_processed += len(record["Data"])
                event = json.loads(record["Data"])
                if self.process_event(event):
                    self.events_matched += 1
                    matched.append(event)
            shard_iterator = response.get("NextShardIterator")
            if shard_iterator is None:
                break
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                if max_seconds is None:
                    break
                time.sleep(self.poll_interval)
        return matched

    def get_stats(self):
        duration = time.time() - self.start_time
        return {
            "events_processed": self.events_processed,
            "bytes_processed": self.bytes_processed,
            "events_matched": self.events_matched,
            "duration_seconds": duration,
            "events_per_second": self.events_processed / duration if duration else 0.0,
        }

    def print_stats(self):
        for name, value in self.get_stats().items():
            print(f"{name}: {value}")


def list_shard_ids(stream_name):
    ids, request = [], {"StreamName": stream_name}
    while True:
        page = kinesis_client.list_shards(**request)
        ids += [shard["ShardId"] for shard in page["Shards"]]
        if "NextToken" not in page:
            return ids
        request = {"NextToken": page["NextToken"]}


def consume_stream(stream_name, max_events=None, *, event_filter=None):
    events, read = [], 0
    for shard_id in list_shard_ids(stream_name):
        remaining = None if max_events is None else max_events - read  # records read, matched or not
        if remaining == 0:
            break
        consumer = EventConsumer(stream_name, shard_id, event_filter=event_filter)
        events += consumer.consume(max_events=remaining)
        read += consumer.events_processed
    return events


if __name__ == "__main__":
    print(consume_stream("user-activity"))
