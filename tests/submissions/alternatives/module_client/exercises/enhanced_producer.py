"""Producer written the way the module's first example is: one client at module level."""

import json
import random
import time
from datetime import datetime

import boto3

kinesis_client = boto3.client("kinesis", region_name="us-east-1")


class EventProducer:
    def __init__(self, stream_name):
        self.stream_name = stream_name
        self.events_sent = 0
        self.bytes_sent = 0

    def ensure_stream_exists(self, shard_count=2):
        existing = kinesis_client.list_streams()["StreamNames"]
        created = self.stream_name not in existing
        if created:
            try:
                kinesis_client.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            except kinesis_client.exceptions.ResourceInUseException:
                created = False
        kinesis_client.get_waiter("stream_exists").wait(StreamName=self.stream_name)
        return created

    def send_event(self, event_data, partition_key):
        try:
            data = json.dumps(event_data)
            response = kinesis_client.put_record(StreamName=self.stream_name, Data=data, PartitionKey=partition_key)
        except Exception as error:
            return {"success": False, "error": str(error)}
        self.events_sent += 1
        self.bytes_sent += len(data.encode("utf-8"))
        return {"success": True, "shard_id": response["ShardId"], "sequence_number": response["SequenceNumber"]}

    def send_batch(self, events, partition_key_fn, *, max_attempts=8):
        results = []
        for event in events:
            for attempt in range(max_attempts):
                result = self.send_event(event, partition_key_fn(event))
                if result["success"]:
                    break
                time.sleep(0.1 * (attempt + 1))
            results.append(result)
        return results

    def get_stats(self):
        # The summary counts every open shard; describe_stream would list only 100 per answer.
        stream = kinesis_client.describe_stream_summary(StreamName=self.stream_name)["StreamDescriptionSummary"]
        return {"status": stream["StreamStatus"], "shards": stream["OpenShardCount"], "retention_hours": stream["RetentionPeriodHours"]}


def generate_sample_events(count=10, seed=None):
    rng = random.Random(seed)
    events = []
    for _ in range(count):
        events.append({
            "userId": rng.choice(["alice", "bob", "charlie", "diana"]),
            "type": rng.choice(["login", "view_page", "search", "click_button", "add_to_cart", "logout"]),
            "timestamp": datetime.now().isoformat(),
            "sessionId": f"session-{rng.randint(1000, 9999)}",
        })
    return events


if __name__ == "__main__":
    producer = EventProducer("user-activity")
    producer.ensure_stream_exists()
    producer.send_batch(generate_sample_events(), lambda e: e["userId"])
    print(producer.get_stats())
