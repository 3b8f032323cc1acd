"""Ending a call of learner code that polls a dry shard forever (a step's ``dry`` option), in a child.

A consumer that reads until told to stop would never return in a check; ``watching`` routes
every boto3 call of one step through ``DryReads``, which either makes the shard look closed
or stops the call by raising ``Halted`` into learner code. The step's value then names the
type ``HALTED``, which the harness recognises (``grader.harness.script``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Bound early: learner code may later replace builtins.
_isinstance, _str = isinstance, str

HALTED = "grader:halted"  # the type named in a call's value when the grader stopped it (no class has this name)


class Halted(BaseException):
    """Raised into learner code to end a read that would otherwise poll a dry shard forever."""


class DryReads:
    """Watches the GetRecords calls of one step and ends endless polling of a dry shard.

    A read is dry when it returns no records and MillisBehindLatest is 0. After ``limit`` dry
    reads in a row of one shard, either the shard is made to look closed (no
    NextShardIterator, as Kinesis answers at the end of a closed shard), so a loop that
    follows the iterator ends by itself, or (``close`` false) the call is stopped at once.
    Any GetRecords call after that stops the call too.
    """

    def __init__(self, limit: int, close: bool) -> None:
        self.limit = limit
        self.close = close
        self.dry: dict[str, int] = {}
        self.ended: set[str] = set()  # shards made to look closed
        self.reads = 0

    def watch(self, operation: str, params: dict[str, Any], answer: Any) -> Any:
        if operation != "GetRecords" or not _isinstance(answer, dict):
            return answer
        self.reads += 1
        shard = _shard_of(params.get("ShardIterator"))
        if answer.get("Records") or answer.get("MillisBehindLatest", 0):
            self.dry[shard] = 0
            return answer
        self.dry[shard] = self.dry.get(shard, 0) + 1
        if self.dry[shard] < self.limit:
            return answer
        if not self.close:
            raise Halted()
        self.ended.add(shard)
        return {**answer, "NextShardIterator": None}

    def before(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "GetRecords" and _shard_of(params.get("ShardIterator")) in self.ended:
            raise Halted()


def _shard_of(iterator: Any) -> str:
    """The shard an embedded-Kinesis iterator points into (its text is 'stream:shard:position')."""
    try:
        import base64

        return base64.b64decode(_str(iterator)).decode("utf-8").rsplit(":", 1)[0]
    except (ValueError, UnicodeDecodeError):
        return _str(iterator)


def watching(dry: DryReads) -> Callable[[], None]:
    """Route every boto3 call through ``dry`` until the returned function is called."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        dry.before(operation, params)
        return dry.watch(operation, params, original(client, operation, params))

    BaseClient._make_api_call = make_api_call

    def restore() -> None:
        BaseClient._make_api_call = original

    return restore
