"""Event consumer: reads events back from the shards of an Amazon Kinesis stream.

Run it with ``make run`` (against the embedded Kinesis) or ``python enhanced_consumer.py``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

# GetRecords errors after which the same shard iterator can simply be tried again.
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

# Kinesis serves at most 5 GetRecords calls per second per shard, shared by every reader of
# that shard; one more is refused with ProvisionedThroughputExceededException.
READS_PER_SECOND_PER_SHARD = 5

EventFilter = Callable[[dict[str, Any]], bool]


def make_kinesis_client() -> Any:
    """Return a Kinesis client; the endpoint and credentials come from the environment."""
    return boto3.client("kinesis", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


class EventConsumer:
    """Reads the records of one shard, hands each event to ``process_event`` and counts them.

    Every consumer keeps its own state on the instance (set in ``__init__``): two consumers
    in one program never share counters, positions or results (no class attributes or
    module-level variables for them).
    """

    def __init__(
        self,
        stream_name: str,
        shard_id: str,
        *,
        client: Any = None,
        event_filter: EventFilter | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        """Prepare a consumer of one shard.

        Args:
            stream_name: the Kinesis stream to read.
            shard_id: the shard to read, e.g. ``'shardId-000000000000'``.
            client: a boto3 Kinesis client to use; by default one is made from the environment.
            event_filter: decides which events match (see ``process_event``); None matches all.
            poll_interval: seconds to wait after a read that found nothing new.
        """
        self.stream_name = stream_name
        self.shard_id = shard_id
        self.kinesis = client if client is not None else make_kinesis_client()
        self.event_filter = event_filter
        self.poll_interval = poll_interval
        self.events_processed = 0  # records read from the shard, matched or not
        self.bytes_processed = 0  # bytes of those records' data
        self.events_matched = 0  # events for which process_event returned True
        self.start_time = time.monotonic()

    def get_shard_iterator(self, iterator_type: str = "TRIM_HORIZON") -> str:
        """Ask Kinesis where to start reading this consumer's shard.

        Contract:
        - it asks for an iterator of this consumer's own stream and shard;
        - of the type given: ``'TRIM_HORIZON'`` by default, ``'LATEST'`` when asked.

        Args:
            iterator_type: ``'TRIM_HORIZON'`` (oldest record) or ``'LATEST'`` (only new ones).

        Returns:
            The shard iterator string from ``get_shard_iterator``.
        """
        # TODO(consumer.read_shard): your code here
        raise NotImplementedError("TODO(consumer.read_shard): implement EventConsumer.get_shard_iterator")

    def process_event(self, event: dict[str, Any]) -> bool:
        """Handle one event read from the shard.

        Contract:
        - with an ``event_filter``, an event matches only if ``event_filter(event)`` is true;
        - without a filter every event matches;
        - a matching event is handled (printed), a non-matching one is skipped; either way
          the answer is a real bool.

        Args:
            event: the decoded JSON event.

        Returns:
            True if the event matched and was handled, False if it was skipped.
        """
        # TODO(consumer.filtering): your code here
        raise NotImplementedError("TODO(consumer.filtering): implement EventConsumer.process_event")

    def consume(self, max_events: int | None = None, max_seconds: float | None = None) -> list[dict[str, Any]]:
        """Read the shard from its oldest record, in order, and process each event.

        Reading (task consumer.read_shard):
        - every call starts again at the shard's oldest record (a TRIM_HORIZON iterator) and
          follows NextShardIterator from read to read;
        - every record read is decoded from JSON and passed to ``process_event``, in the
          shard's order, each exactly once;
        - each record adds 1 to ``events_processed`` and the length of its data in bytes to
          ``bytes_processed``; the counters keep adding up over several calls;
        - a get_records call that fails with a throttling or internal error is tried again
          with the same iterator after a pause, a little longer after each failure.

        Stopping (task consumer.stopping): it stops at the first of these:
        - ``max_events`` records have been read by this call: exactly that many, never more
          (``max_events=0`` reads none);
        - ``max_seconds`` seconds have passed since this call started (not since the consumer
          was made); the time is checked before every read, so ``max_seconds=0`` reads none;
        - the shard has no more records for now: a read returned no records and
          ``MillisBehindLatest`` is 0. A read with fewer records than asked for, or with none
          while ``MillisBehindLatest`` is above 0, is not the end: keep reading. When
          ``max_seconds`` was given it does not stop here: it waits ``poll_interval`` seconds
          after each read that found nothing and polls again, until the time is up;
        - the shard is closed: a read returned no NextShardIterator.
        An open shard always returns a next iterator, so waiting for it to be missing never ends.

        Result (task consumer.filtering):
        - an event for which ``process_event`` returns True adds 1 to ``events_matched``;
          ``events_processed`` and ``bytes_processed`` count every record, matched or not;
        - it returns a new list of the events that matched in this call, in the order read
          (not those of earlier calls).

        Args:
            max_events: most records to read, or None for no limit.
            max_seconds: most seconds to spend, or None for no limit.

        Returns:
            The events that matched, in the order they were read.
        """
        # TODO(consumer.stopping): your code here
        raise NotImplementedError("TODO(consumer.stopping): implement EventConsumer.consume")

    def get_stats(self) -> dict[str, Any]:
        """Summarise what this consumer has done since it was created.

        Contract:
        - ``events_processed``, ``bytes_processed`` and ``events_matched`` are the counters'
          values at the time of the call;
        - ``duration_seconds`` is a float: the seconds from the consumer's creation to this
          call, fractions included (not whole seconds, not frozen when a read ended);
        - ``events_per_second`` is ``events_processed / duration_seconds``: every record read,
          matched or not, over the same duration.

        Returns:
            ``{'events_processed', 'bytes_processed', 'events_matched', 'duration_seconds',
            'events_per_second'}``.
        """
        # TODO(consumer.throughput): your code here
        raise NotImplementedError("TODO(consumer.throughput): implement EventConsumer.get_stats")

    def print_stats(self) -> None:
        """Print the consumer's statistics."""
        stats = self.get_stats()
        print(f"\n{'=' * 60}\nConsumer statistics\n{'=' * 60}")
        print(f"Events processed: {stats['events_processed']}")
        print(f"Events matched:   {stats['events_matched']}")
        print(f"Bytes processed:  {stats['bytes_processed']}")
        print(f"Duration:         {stats['duration_seconds']:.3f} seconds")
        print(f"Throughput:       {stats['events_per_second']:.1f} events/second")
        print("=" * 60)


def _decode(data: bytes) -> dict[str, Any] | None:
    """Decode a record's data as a JSON object; None when it is not one."""
    try:
        event = json.loads(data)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def list_shard_ids(stream_name: str, *, client: Any = None) -> list[str]:
    """Return the ids of every shard of the stream, in the order Kinesis lists them.

    Contract: every shard, each once: open shards and also closed ones (a parent shard
    closed by resharding still holds its records until they expire), over every page of
    the listing.

    Args:
        stream_name: the stream to describe.
        client: a boto3 Kinesis client; by default one is made from the environment.

    Returns:
        Shard ids such as ``['shardId-000000000000', 'shardId-000000000001']``.
    """
    # TODO(consumer.all_shards): your code here
    raise NotImplementedError("TODO(consumer.all_shards): implement list_shard_ids")


def consume_stream(
    stream_name: str,
    max_events: int | None = None,
    *,
    client: Any = None,
    event_filter: EventFilter | None = None,
) -> list[dict[str, Any]]:
    """Read every shard of the stream, one after the other, until each is caught up.

    Contract:
    - it reads every shard that ``list_shard_ids`` names (closed ones too) with an
      ``EventConsumer`` of that shard, one shard after the other;
    - ``max_events`` bounds the records read over all shards together: exactly
      ``min(max_events, records in the stream)``, never more;
    - ``event_filter`` is given to each shard's consumer: only matching events come back.
    Events with the same partition key are all in one shard, so their order is kept.

    Args:
        stream_name: the stream to read.
        max_events: most records to read over all shards together, or None for no limit.
        client: a boto3 Kinesis client; by default one is made from the environment.
        event_filter: passed to each shard's ``EventConsumer``.

    Returns:
        The matching events of every shard: the first shard's events in order, then the
        next shard's, and so on.
    """
    # TODO(consumer.all_shards): your code here
    raise NotImplementedError("TODO(consumer.all_shards): implement consume_stream")


def main(stream_name: str = "user-activity") -> None:
    """Read every shard of the stream and print what was read and how fast."""
    shard_ids = list_shard_ids(stream_name)
    print(f"Stream '{stream_name}' has {len(shard_ids)} shard(s)\n")
    for shard_id in shard_ids:
        consumer = EventConsumer(stream_name, shard_id)
        consumer.consume(max_events=20)
        consumer.print_stats()


if __name__ == "__main__":
    main()
