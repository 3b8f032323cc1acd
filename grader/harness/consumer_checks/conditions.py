"""What every consumer check sets up around the learner's consumer: its shard's reads always
end, the consumer is observed, and Kinesis behaves as on AWS where moto does not."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from grader.harness.checking import CONSUMER_CLASS
from grader.harness.feedback import Feedback
from grader.harness.outcome import halted
from grader.harness.script import Ref, Script
from grader.kinesis.faults import Plan

SHARD0 = "shardId-000000000000"
DRY_CLOSE = (3, True)  # reading checks: after 3 dry reads in a row the shard looks closed
DRY_STOP = (3, False)  # stopping checks: after 3 dry reads in a row the call is stopped


# --- observed consumers ----------------------------------------------------------------------


def new_consumer(script: Script, name: str, shard_id: str, **kwargs: Any) -> Ref:
    """A consumer of the learner's class whose process_event notes every event it is given."""
    return script.new(CONSUMER_CLASS, name, shard_id, name="consumer", observe=True, **kwargs)


def require_returned(value: Any, called: str, why: str) -> None:
    """Fail a call the grader had to stop: it went on polling a shard that had nothing new."""
    if halted(value):
        raise Feedback(
            called,
            "kept reading after every record had been read: it polled the shard 3 times in a row and found nothing "
            "new, "
            "so the grader stopped it",
            "it to return",
            why,
        )


# --- Kinesis conditions the grader produces --------------------------------------------------


def iterator_position(iterator: Any) -> tuple[str, str, int] | None:
    """(stream, shard, last sequence read) of an embedded-Kinesis shard iterator, or None."""
    if type(iterator) is not str:
        return None
    try:
        stream, shard, sequence = base64.b64decode(iterator).decode("utf-8").rsplit(":", 2)
        return stream, shard, int(sequence)
    except (ValueError, UnicodeDecodeError):
        return None


def make_iterator(stream: str, shard: str, sequence: int) -> str:
    """An iterator that reads after ``sequence``, in the embedded Kinesis's own format."""
    return base64.encodebytes(f"{stream}:{shard}:{sequence}".encode()).decode("utf-8")


@dataclass
class UnevenReads(Plan):
    """Reads as real Kinesis gives them: some empty while records are still ahead
    (MillisBehindLatest above 0), others shorter than the Limit asked for.

    ``empty_calls`` are GetRecords call numbers (1-based) that return no records although the
    shard has more; every other read returns at most ``cap`` records. Nothing is skipped:
    the next iterator points just after the last record returned.
    """

    empty_calls: frozenset[int] = frozenset()
    cap: int | None = None
    calls: int = field(default=0, init=False)

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Empty or shorten a GetRecords answer that had records."""
        if operation != "GetRecords" or not isinstance(response.get("Records"), list):
            return response
        self.calls += 1
        records = response["Records"]
        position = iterator_position(request.get("ShardIterator"))
        if not records or position is None:
            return response
        stream, shard, _ = position
        behind = max(1000, int(response.get("MillisBehindLatest") or 0))
        if self.calls in self.empty_calls:
            return {
                **response,
                "Records": [],
                "NextShardIterator": request["ShardIterator"],
                "MillisBehindLatest": behind,
            }
        if self.cap is not None and len(records) > self.cap:
            kept = records[: self.cap]
            last = int(kept[-1]["SequenceNumber"])
            return {
                **response,
                "Records": kept,
                "NextShardIterator": make_iterator(stream, shard, last),
                "MillisBehindLatest": behind,
            }
        return response

    def describe(self) -> str:
        """What the learner's code met."""
        parts = []
        if self.empty_calls:
            calls = ", ".join(map(str, sorted(self.empty_calls)))
            parts.append(
                f"get_records calls {calls} returned no records with MillisBehindLatest > 0 (more records ahead)"
            )
        if self.cap is not None:
            parts.append(f"every read returned at most {self.cap} record(s), fewer than the Limit asked for")
        return "; ".join(parts) or "Kinesis answered normally"


@dataclass
class ClosedShards(Plan):
    """A closed shard's last read has no NextShardIterator, as on AWS (moto keeps giving one)."""

    last: dict[str, int]  # closed shard id -> its last sequence number

    def rewrite(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        """Drop the next iterator once a closed shard has been read to its end."""
        if operation != "GetRecords":
            return response
        position = iterator_position(response.get("NextShardIterator"))
        if position is not None and position[1] in self.last and position[2] >= self.last[position[1]]:
            return {**response, "NextShardIterator": None, "MillisBehindLatest": 0}
        return response


@dataclass
class ReadCounter(Plan):
    """Counts GetRecords calls."""

    calls: int = field(default=0, init=False)

    def fault(self, operation: str, request: dict[str, Any]) -> None:
        """Count; never fail."""
        if operation == "GetRecords":
            self.calls += 1
