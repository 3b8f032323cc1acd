"""Producer that sends batches with put_records and retries only the records that failed.

Per-key order is kept by sending at most one record per partition key in each put_records
call: a key's next record goes out only after the one before it was stored.
"""

import json
import os
import random
import time
from collections import OrderedDict, deque
from datetime import datetime, timezone

import boto3
from botocore.exceptions import BotoCoreError, ClientError

MAX_RECORDS_PER_CALL = 500
RETRYABLE = {"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException",
             "InternalFailure", "InternalServerError", "ServiceUnavailable", "KMSThrottlingException"}


def _code(error):
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "ClientError")
    return type(error).__name__


class EventProducer:
    def __init__(self, stream_name, *, client=None):
        self.stream_name = stream_name
        self.kinesis = client or boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        self.events_sent = 0
        self.bytes_sent = 0

    def ensure_stream_exists(self, shard_count=2):
        try:
            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            created = True
        except self.kinesis.exceptions.ResourceInUseException:
            created = False
        while self.kinesis.describe_stream_summary(StreamName=self.stream_name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            time.sleep(1)
        return created

    def send_event(self, event_data, partition_key):
        data = json.dumps(event_data).encode("utf-8")
        try:
            answer = self.kinesis.put_record(StreamName=self.stream_name, Data=data, PartitionKey=partition_key)
        except (ClientError, BotoCoreError) as error:
            return {"success": False, "error": str(error), "error_code": _code(error)}
        self.events_sent += 1
        self.bytes_sent += len(data)
        return {"success": True, "shard_id": answer["ShardId"], "sequence_number": answer["SequenceNumber"]}

    def send_batch(self, events, partition_key_fn, *, max_attempts=8):
        queues = OrderedDict()  # key -> deque of (position, data): sent oldest first
        for position, event in enumerate(events):
            key = partition_key_fn(event)
            queues.setdefault(key, deque()).append((position, json.dumps(event).encode("utf-8")))
        results = [None] * len(events)
        tries = [0] * len(events)
        failures_in_a_row = 0
        while queues:
            heads = [(key, queue[0]) for key, queue in list(queues.items())[:MAX_RECORDS_PER_CALL]]
            entries = [{"Data": data, "PartitionKey": key} for key, (_, data) in heads]
            try:
                answer = self.kinesis.put_records(StreamName=self.stream_name, Records=entries)
                outcomes = answer["Records"]
            except (ClientError, BotoCoreError) as error:
                outcomes = [{"ErrorCode": _code(error), "ErrorMessage": str(error)}] * len(heads)
            any_failed = False
            for (key, (position, data)), outcome in zip(heads, outcomes):
                tries[position] += 1
                if "ErrorCode" not in outcome:
                    self.events_sent += 1
                    self.bytes_sent += len(data)
                    results[position] = {"success": True, "shard_id": outcome["ShardId"], "sequence_number": outcome["SequenceNumber"]}
                elif outcome["ErrorCode"] in RETRYABLE and tries[position] < max_attempts:
                    any_failed = True
                    continue  # stays at the head of its key's queue: retried before later ones
                else:
                    results[position] = {"success": False, "error": outcome.get("ErrorMessage", ""), "error_code": outcome["ErrorCode"]}
                queues[key].popleft()
                if not queues[key]:
                    del queues[key]
            failures_in_a_row = failures_in_a_row + 1 if any_failed else 0
            if any_failed:
                time.sleep(min(0.05 * 2 ** failures_in_a_row, 2.0))
        return results

    def get_stats(self):
        summary = self.kinesis.describe_stream_summary(StreamName=self.stream_name)["StreamDescriptionSummary"]
        return {"status": summary["StreamStatus"], "shards": summary["OpenShardCount"], "retention_hours": summary["RetentionPeriodHours"]}


def generate_sample_events(count=10, seed=None):
    rng = random.Random(seed)
    return [{"userId": rng.choice(["alice", "bob", "charlie", "diana"]),
             "type": rng.choice(["login", "view_page", "search", "click_button", "add_to_cart", "logout"]),
             "timestamp": datetime.now(timezone.utc).isoformat(),
             "sessionId": f"session-{rng.randint(1000, 9999)}"} for _ in range(count)]


def main(stream_name="user-activity"):
    producer = EventProducer(stream_name)
    producer.ensure_stream_exists()
    producer.send_batch(generate_sample_events(), lambda event: event["userId"])
    print(producer.get_stats())


if __name__ == "__main__":
    main()
