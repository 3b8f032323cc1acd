"""A submission written the way the course module writes its producer.

It keeps the module's habits on purpose, to check that the grader scores them fairly:
a client made at import time with a fixed region, bytes counted as len() of the JSON
text, a fixed sleep per event, and failed sends reported but not retried.
"""

import json
import random
import time
from datetime import datetime

import boto3

kinesis = boto3.client("kinesis", region_name="us-east-1")


class EventProducer:
    def __init__(self, stream_name):
        self.stream_name = stream_name
        self.events_sent = 0
        self.bytes_sent = 0

    def ensure_stream_exists(self, shard_count=2):
        try:
            kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            print(f"Creating stream {self.stream_name}")
            kinesis.get_waiter("stream_exists").wait(StreamName=self.stream_name)
            print("Stream ready")
        except kinesis.exceptions.ResourceInUseException:
            print(f"Stream {self.stream_name} already there")

    def send_event(self, event_data, partition_key):
        try:
            text = json.dumps(event_data)
            answer = kinesis.put_record(StreamName=self.stream_name, Data=text, PartitionKey=partition_key)
            self.events_sent += 1
            self.bytes_sent += len(text)
            return {"success": True, "shard_id": answer["ShardId"], "sequence_number": answer["SequenceNumber"]}
        except Exception as problem:
            return {"success": False, "error": str(problem)}

    def send_batch(self, events, partition_key_fn):
        for number, event in enumerate(events, 1):
            outcome = self.send_event(event, partition_key_fn(event))
            mark = "ok" if outcome["success"] else "failed: " + outcome["error"]
            print(f"{number}/{len(events)} {mark}")
            time.sleep(0.1)
        print(f"Sent {self.events_sent} events, {self.bytes_sent} bytes")

    def get_stats(self):
        description = kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]
        return {
            "status": description["StreamStatus"],
            "shards": len(description["Shards"]),
            "retention_hours": description["RetentionPeriodHours"],
        }


def generate_sample_events():
    people = ["alice", "bob", "charlie", "diana"]
    kinds = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]
    return [
        {"userId": random.choice(people), "type": random.choice(kinds), "timestamp": datetime.utcnow().isoformat() + "Z"}
        for _ in range(10)
    ]
