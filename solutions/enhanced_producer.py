"""Event producer: writes user-activity events to an Amazon Kinesis stream.

Run it with ``make run`` (against the embedded Kinesis) or ``python enhanced_producer.py``.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# Error codes after which sending the same record again can succeed.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "LimitExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "KMSThrottlingException",
    }
)


def make_kinesis_client() -> Any:
    """Return a Kinesis client; the endpoint and credentials come from the environment."""
    return boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def _error_code(error: Exception) -> str:
    """Return the AWS error code of ``error``, or its class name for non-AWS errors."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


class EventProducer:
    """Sends JSON events to one Kinesis stream and counts what it sent.

    Contract (task producer.concurrency):
    1. [concurrency.instance] Producers at once, in one program or several, each keep their
       own stream name and counters on the instance (set in ``__init__``), and every event
       of every producer lands.
    """

    def __init__(self, stream_name: str, *, client: Any = None) -> None:
        """Prepare a producer for ``stream_name``.

        Args:
            stream_name: the Kinesis stream to write to.
            client: a boto3 Kinesis client to use; by default one is made from the environment.
        """
        self.stream_name = stream_name
        self.kinesis = client if client is not None else make_kinesis_client()
        # Counters: they change only when Kinesis has accepted a record.
        self.events_sent = 0
        self.bytes_sent = 0

    def ensure_stream_exists(self, shard_count: int = 2) -> bool:
        """Create the stream if it does not exist, then wait until it is ACTIVE.

        Contract (task producer.stream_setup):
        1. [stream_setup.create] A stream that does not exist is created with
           ``shard_count`` shards (2 when the argument is left out); a stream that exists
           already is left as it is, whatever ``shard_count`` says, and no error is raised.
        2. [stream_setup.active] It returns only once the stream is ``ACTIVE`` (a new stream
           starts as ``CREATING``), and returns ``True`` if this call created the stream,
           ``False`` if it existed already (a real ``bool``).
        Going further (full level: not graded unless your instructor chose it):
        3. [stream_setup.other_creating] However long ``CREATING`` lasts, it waits for
           ``ACTIVE``, checking again after a pause for as long as it takes: for its own new
           stream, for a stream another producer has just created (your ``create_stream`` is
           refused while it is still ``CREATING``), and when two producers create the stream
           at the same moment (one of them is refused).

        Args:
            shard_count: number of shards for a new stream.

        Returns:
            True if this call created the stream, False if it already existed.
        """
        ### BEGIN SOLUTION [producer.stream_setup]
        created = True
        try:
            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            print(f"Creating stream '{self.stream_name}' with {shard_count} shard(s)...")
        except ClientError as error:
            if _error_code(error) != "ResourceInUseException":
                raise
            created = False
        waiter = self.kinesis.get_waiter("stream_exists")
        waiter.wait(StreamName=self.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        print(f"✓ Stream '{self.stream_name}' is ACTIVE\n")
        return created
        ### END SOLUTION

    def send_event(self, event_data: dict[str, Any], partition_key: str) -> dict[str, Any]:
        """Send one event as a JSON record with ``put_record``.

        Contract (task producer.send_event):
        1. [send_event.record] It puts exactly one record on the producer's stream with
           ``partition_key`` (the argument, whatever the event holds) as its key; the
           record's data is the event as JSON encoded in UTF-8 and nothing else:
           ``json.loads(data) == event_data``.
        2. [send_event.result] On success it returns ``{'success': True, 'shard_id': ...,
           'sequence_number': ...}`` with the ``ShardId`` and ``SequenceNumber`` of the
           response (strings); when Kinesis refuses the record (e.g. the stream does not
           exist), or boto3 refuses to send it (e.g. an empty partition key raises
           ``ParamValidationError`` before any request), it raises nothing and returns
           ``{'success': False, 'error': <the message, a str>}``.

        Contract (task producer.counters):
        1. [counters.bytes] Each successful send adds 1 to ``events_sent`` and the number of
           UTF-8 bytes of the record's data (bytes, not characters) to ``bytes_sent``.
        2. [counters.totals] Both start at 0 for a new producer, a failed send changes
           neither, and they add up over every call on one producer (``send_event`` or
           ``send_batch``): totals, never reset.

        Args:
            event_data: the event, a JSON-serialisable dict.
            partition_key: decides the shard; events with the same key keep their order.

        Returns:
            ``{'success': True, 'shard_id': ..., 'sequence_number': ...}`` taken from the
            response, or ``{'success': False, 'error': <message>}`` when the call failed;
            a failure may also carry ``'error_code'`` (e.g. the AWS code
            ``'ProvisionedThroughputExceededException'``) so a caller can tell an error
            worth retrying from one that is not.
        """
        ### BEGIN SOLUTION [producer.send_event]
        try:
            payload = json.dumps(event_data).encode("utf-8")
            response = self.kinesis.put_record(
                StreamName=self.stream_name, Data=payload, PartitionKey=partition_key
            )
        except (ClientError, BotoCoreError, TypeError, ValueError) as error:
            return {"success": False, "error": str(error), "error_code": _error_code(error)}
        self.events_sent += 1
        self.bytes_sent += len(payload)
        return {
            "success": True,
            "shard_id": response["ShardId"],
            "sequence_number": response["SequenceNumber"],
        }
        ### END SOLUTION

    def send_batch(
        self,
        events: list[dict[str, Any]],
        partition_key_fn: Callable[[dict[str, Any]], str],
        *,
        max_attempts: int = 8,
    ) -> list[dict[str, Any]]:
        """Send events one by one, in order, each with the key ``partition_key_fn(event)``.

        Contract (task producer.ordering):
        1. [ordering.keys] Each event is sent with the key ``partition_key_fn(event)``,
           whichever field that function reads, in the order given, each exactly once: the
           events of one key land in that order.
        2. [ordering.results] It returns a new list with one result per event of this call,
           in the order of ``events``: result ``i`` is what ``send_event`` returned for
           ``events[i]``.
        Going further (full level: not graded unless your instructor chose it):
        3. [ordering.retries] A send that fails with a code of ``RETRYABLE_ERROR_CODES``
           (throttling, internal errors) is tried again before the next event is sent,
           waiting (``time.sleep``) before every new try, each wait for the same event
           longer than the one before.
        4. [ordering.give_up] An event is tried at most ``max_attempts`` times; one still
           failing then is given up: its result is the last try's failure and the batch goes
           on with the next event.
        5. [ordering.burst] A burst above a shard's write rate (1 MiB or 1,000 records a
           second) lands whole and in order: throttled sends are retried after backing off.

        Args:
            events: the events to send, in order.
            partition_key_fn: gives the partition key of an event, e.g. its user id.
            max_attempts: tries per event before giving up on it.

        Returns:
            One result per event, as ``send_event`` returns it (the last try's result).
        """
        ### BEGIN SOLUTION [producer.ordering]
        print(f"Sending {len(events)} events...")
        results = []
        for number, event in enumerate(events, 1):
            key = partition_key_fn(event)
            for attempt in range(max_attempts):
                result = self.send_event(event, key)
                if result["success"] or result.get("error_code") not in RETRYABLE_ERROR_CODES:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))  # back off before retrying
            results.append(result)
            if result["success"]:
                print(f"  {number}/{len(events)} ✓ {event.get('type', 'event')} -> {result['shard_id']}")
            else:
                print(f"  {number}/{len(events)} ✗ Error: {result['error']}")
        print(f"\nStats: {self.events_sent} events, {self.bytes_sent} bytes sent\n")
        return results
        ### END SOLUTION

    def get_stats(self) -> dict[str, Any]:
        """Describe the stream as Kinesis sees it now.

        Contract (task producer.stats):
        1. [stats.fresh] ``get_stats`` returns ``status`` (``StreamStatus``), ``shards``
           (the number of shards, an ``int``) and ``retention_hours``
           (``RetentionPeriodHours``, an ``int``) as ``describe_stream`` gives them, asking
           Kinesis again on every call.
        Going further (full level: not graded unless your instructor chose it):
        2. [stats.now] ``status`` is the status at the call, whatever it is (``UPDATING``
           too): ``get_stats`` does not wait for ``ACTIVE``.
        3. [stats.paging] ``shards`` counts every shard of a stream of more than 100:
           ``describe_stream`` answers in pages (``HasMoreShards``,
           ``ExclusiveStartShardId``).

        Returns:
            ``{'status': StreamStatus, 'shards': number of shards, 'retention_hours':
            RetentionPeriodHours}``, all read from ``describe_stream`` (or
            ``describe_stream_summary``).
        """
        ### BEGIN SOLUTION [producer.stats]
        description = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]
        page = description
        while page.get("HasMoreShards") and page["Shards"]:  # at most 100 shards per answer
            last = page["Shards"][-1]["ShardId"]
            page = self.kinesis.describe_stream(
                StreamName=self.stream_name, ExclusiveStartShardId=last
            )["StreamDescription"]
            description["Shards"].extend(page["Shards"])
        return {
            "status": description["StreamStatus"],
            "shards": len(description["Shards"]),
            "retention_hours": description["RetentionPeriodHours"],
        }
        ### END SOLUTION


def generate_sample_events(count: int = 10, seed: int | None = None) -> list[dict[str, Any]]:
    """Make ``count`` user-activity events for random users and actions."""
    rng = random.Random(seed)
    users = ["alice", "bob", "charlie", "diana"]
    actions = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]
    return [
        {
            "userId": rng.choice(users),
            "type": rng.choice(actions),
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "sessionId": f"session-{rng.randint(1000, 9999)}",
        }
        for _ in range(count)
    ]


def main(stream_name: str = "user-activity") -> None:
    """Create the stream, send sample events keyed by user, and print the stream's stats."""
    producer = EventProducer(stream_name)
    producer.ensure_stream_exists(shard_count=2)
    producer.send_batch(generate_sample_events(), partition_key_fn=lambda event: event["userId"])
    stats = producer.get_stats()
    print(f"Stream: {stream_name}")
    print(f"  Status: {stats['status']}")
    print(f"  Shards: {stats['shards']}")
    print(f"  Retention: {stats['retention_hours']} hours")


if __name__ == "__main__":
    main()
