"""The child side of ``make run`` and the experiments: runs learner code in its own process.

The parent (``grader.commands.run``, ``grader.commands.experiments``) starts
``python -c LAUNCHER <folder> <job> <json args>`` with the code folder first on sys.path
and the Kinesis environment set. A job ends with one ``RESULT {...}`` line on stdout that
the parent reads. A stub that is still a TODO ends the process with ``TODO_EXIT_CODE`` and
a short explanation on stderr instead of a traceback.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.commands.lag_job import lag
from grader.commands.progress import add_send_progress
from grader.paths import ROOT

TODO_EXIT_CODE = 3
RESULT_PREFIX = "RESULT "
# Set by the parent on the embedded Kinesis, where a new stream is CREATING for a moment only:
# boto3's waiters then check this often (seconds) instead of every 10 s.
WAITER_DELAY_VARIABLE = "GRADER_WAITER_DELAY"
# What a generated stub raises: NotImplementedError("TODO(<task id>): implement <name>").
_TODO_RE = re.compile(r"TODO\(([\w.]+)\): implement (.+)")


def launcher() -> str:
    """The ``python -c`` program that puts the code folder, then this project, on sys.path."""
    return (
        "import sys; sys.path[0:0] = [sys.argv[1], " + repr(str(ROOT)) + "]; "
        "from grader.commands.jobs import launch; launch(sys.argv[2], sys.argv[3])"
    )


def launch(job: str, args_json: str) -> None:
    """Run one job; turn a stub's NotImplementedError into a friendly message and exit code."""
    if os.environ.get(WAITER_DELAY_VARIABLE):
        quicken_waiters(float(os.environ[WAITER_DELAY_VARIABLE]))
    try:
        result = JOBS[job](**json.loads(args_json))
    except NotImplementedError as error:
        match = _TODO_RE.search(str(error))
        if match is None:
            raise
        sys.stdout.flush()
        sys.stderr.write(todo_message(match.group(1), match.group(2), _learner_file(error)))
        sys.stderr.flush()
        raise SystemExit(TODO_EXIT_CODE) from None
    except Exception as error:
        setup_problem = _setup_problem(error)
        if setup_problem is None:
            raise
        sys.stdout.flush()
        sys.stderr.write(f"\n✗ {setup_problem}\n")
        raise SystemExit(1) from None
    sys.stdout.flush()
    if result is not None:  # the plain runs (make run) have nothing to report
        print(RESULT_PREFIX + json.dumps(result), flush=True)


def quicken_waiters(delay: float) -> None:
    """Make boto3's waiters check every ``delay`` seconds at most, for as long in all, and say so
    the first time: their default pause of 10 s would leave the step silent for that long."""
    from botocore import waiter

    original = waiter.Waiter.wait
    announced: list[float] = []

    def wait(self: Any, **kwargs: Any) -> None:
        config = dict(kwargs.pop("WaiterConfig", None) or {})
        asked = float(config.get("Delay", self.config.delay))
        if asked > delay:
            attempts = int(config.get("MaxAttempts", self.config.max_attempts))
            config.update(Delay=delay, MaxAttempts=math.ceil(attempts * asked / delay))
            if not announced:
                announced.append(asked)
                print(
                    f"  (on the embedded Kinesis, boto3's waiters check every {delay:g} s, not every {asked:g} s)",
                    flush=True,
                )
        original(self, WaiterConfig=config, **kwargs)

    waiter.Waiter.wait = wait


def todo_message(task_id: str, name: str, file_label: str) -> str:
    """Explain which stub is still a TODO, its task, and what to do next."""
    from grader import manifest

    task = manifest.by_id(manifest.load()).get(task_id)
    about = f"task {task.number} ({task.id}): {task.title}" if task else f"task {task_id}"
    return (
        f"\n✎ Not written yet: {name}\n"
        f"  It is part of {about}.\n"
        f"  Replace the TODO({task_id}) lines in {file_label} with your code, then try\n"
        f"  `make check` to test it, or `make hint TASK={task_id}` for a hint.\n"
    )


def _setup_problem(error: Exception) -> str | None:
    """A one-line explanation when ``error`` is about the setup, not about the code."""
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

    if isinstance(error, EndpointConnectionError):
        return f"{error}. Is the emulator (LocalStack, kinesalite) running there?"
    if isinstance(error, NoCredentialsError):
        return "No AWS credentials found: configure them (e.g. `aws configure`) before using --aws."
    if isinstance(error, NoRegionError):
        return "No AWS region set: pass one, e.g. AWS_REGION=eu-west-1."
    return None


def _learner_file(error: BaseException) -> str:
    """The file (relative to the project) whose code raised ``error``."""
    frames = traceback.extract_tb(error.__traceback__)
    filename = Path(frames[-1].filename) if frames else Path("exercises")
    try:
        return str(filename.resolve().relative_to(ROOT))
    except ValueError:
        return str(filename)


# ---- jobs -------------------------------------------------------------------------------


def producer_main(stream: str, events: int) -> None:
    """Run the producer module's main() with ``events`` sample events and a progress bar."""
    import enhanced_producer as module

    sample = module.generate_sample_events

    def generate(count: int = 10, seed: int | None = None) -> list[dict[str, Any]]:
        return sample(events, seed)

    module.generate_sample_events = generate  # main() looks the name up when it runs
    add_send_progress(module.EventProducer)
    module.main(stream)


def consumer_main(stream: str) -> None:
    """Run the consumer module's main()."""
    import enhanced_consumer as module

    module.main(stream)


def produce_tagged(stream: str, tag: str, count: int, seed: int) -> dict[str, Any]:
    """Create/verify the stream and send ``count`` events marked with ``tag``, keyed by user."""
    import enhanced_producer as module

    producer = module.EventProducer(stream)
    producer.ensure_stream_exists(shard_count=2)
    events = module.generate_sample_events(count, seed=seed)
    for number, event in enumerate(events, 1):
        event["producer"] = tag
        event["n"] = number
    results = producer.send_batch(events, partition_key_fn=lambda event: event["userId"])
    return {
        "sent": sum(1 for r in results if r.get("success")),
        "events_sent": producer.events_sent,
        "bytes_sent": producer.bytes_sent,
        "shards": sorted({r["shard_id"] for r in results if r.get("success")}),
    }


def consume_every_shard(stream: str, only_type: str | None = None) -> dict[str, Any]:
    """Read every shard with one EventConsumer each; report what was read and matched."""
    import enhanced_consumer as module

    event_filter = (lambda event: event.get("type") == only_type) if only_type else None
    read = matched = 0
    events: list[dict[str, Any]] = []
    for shard_id in module.list_shard_ids(stream):
        consumer = module.EventConsumer(stream, shard_id, event_filter=event_filter, poll_interval=0.1)
        events.extend(consumer.consume())
        stats = consumer.get_stats()
        read += stats["events_processed"]
        matched += stats["events_matched"]
    return {"read": read, "matched": matched, "events": events}


JOBS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "producer_main": producer_main,
    "consumer_main": consumer_main,
    "produce_tagged": produce_tagged,
    "consume_every_shard": consume_every_shard,
    "lag": lag,
}
