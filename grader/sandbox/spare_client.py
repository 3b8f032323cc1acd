"""A Kinesis client made once in the worker, handed to the first matching ``boto3.client`` call of each run.

Making a boto3 client costs about 9 ms of CPU in a warm process, and about 14 ms in a freshly
forked run, which also copies every page the making touches. Learner code makes one in
nearly every run, with one of two calls: ``boto3.client("kinesis")`` or
``boto3.client("kinesis", region_name=<the run's region>)``, which give the same client.

So the worker makes that client once, after its warm-up and before any run is forked, and
never uses it: it opens no connection, so no socket is shared. Each run is a fork and owns
its own copy. The first call of a run that asks for exactly that client gets the copy;
every other call, any later one, and any call after the run changed an ``AWS_*`` variable or
boto3's default session, makes a new client as boto3 always does. Whatever the
run then does to its client (its own connections, event handlers, the simulated clock's
header, which is added at the HTTP layer for every client) happens in its own process.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3

_SPARE: list[Any] = []  # at most one client, made in the worker; each run pops its own copy
_REGION: list[str] = []
_MADE_IN: list[Any] = []  # what the client depends on: the AWS variables and boto3's default session


def prepare(region: str) -> None:
    """Make the spare client for ``region`` and route ``boto3.client`` through ``_client``."""
    if _SPARE or boto3.client is _client:
        return
    _REGION.append(region)
    _SPARE.append(_original(service_name="kinesis", region_name=region))
    _MADE_IN.append(_context())
    boto3.client = _client


def _context() -> tuple[Any, ...]:
    """The AWS_* variables and the default session: a run that changed either makes its own client."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))), id(boto3.DEFAULT_SESSION)


_original = boto3.client


@functools.wraps(_original)
def _client(*args: Any, **kwargs: Any) -> Any:
    if _SPARE and _asks_for_the_spare(args, kwargs) and _context() == _MADE_IN[0]:
        try:
            return _SPARE.pop()
        except IndexError:  # another thread of the run took it first
            pass
    return _original(*args, **kwargs)


def _asks_for_the_spare(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the call asks for exactly the client the worker made: Kinesis, and the run's region or none."""
    service = args[0] if args else kwargs.get("service_name")
    if len(args) > 1 or service != "kinesis":
        return False
    others = {key: value for key, value in kwargs.items() if key != "service_name"}
    return not others or (set(others) == {"region_name"} and others["region_name"] == _REGION[0])
