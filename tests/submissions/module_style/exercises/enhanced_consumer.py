"""A submission written the way the course module writes its consumer.

Its habits, kept on purpose: a client made at import time, a loop that waits for
NextShardIterator to be missing (it never is on an open shard), max_events checked once
per batch, the duration in whole seconds, and only the shard it is given.
"""

import json
import time
from datetime import datetime

import boto3

kinesis = boto3.client("kinesis", region_name="us-east-1")


class EventConsumer:
    def __init__(self, stream_name, shard_id):
        self.stream_name = stream_name
        self.shard_id = shard_id
        self.events_processed = 0
        self.bytes_processed = 0
        self.start_time = datetime.now()

    def get_shard_iterator(self, iterator_type="TRIM_HORIZON"):
        answer = kinesis.get_shard_iterator(StreamName=self.stream_name, ShardId=self.shard_id, ShardIteratorType=iterator_type)
        return answer["ShardIterator"]

    def process_event(self, event):
        print(f"Processing {event.get('type', 'event')} from {event.get('userId', 'unknown')}")
        return True

    def consume(self, max_events=None, max_seconds=None):
        iterator = self.get_shard_iterator()
        seen = 0
        while True:
            if max_events and seen >= max_events:
                break
            if max_seconds and (datetime.now() - self.start_time).seconds >= max_seconds:
                break
            answer = kinesis.get_records(ShardIterator=iterator, Limit=100)
            for record in answer["Records"]:
                self.process_event(json.loads(record["Data"]))
                self.events_processed += 1
                self.bytes_processed += len(record["Data"])
                seen += 1
            iterator = answer.get("NextShardIterator")
            if not iterator:
                break
            if not answer["Records"]:
                time.sleep(1)
        self.print_stats()

    def print_stats(self):
        duration = (datetime.now() - self.start_time).seconds
        rate = self.events_processed / duration if duration > 0 else 0
        print(f"Processed {self.events_processed} events, {self.bytes_processed} bytes in {duration} s ({rate:.1f}/s)")
