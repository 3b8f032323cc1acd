"""The child side of ``make run`` and the experiments: runs learner code in its own process.

The parent (``grader.embedded_run``, ``grader.experiments``) starts
``python -c LAUNCHER <folder> <job> <json args>`` with the code folder first on sys.path
and the Kinesis environment set. A job ends with one ``RESULT {...}`` line on stdout that
the parent reads. A stub that is still a TODO ends the process with ``TODO_EXIT_CODE`` and
a short explanation on stderr instead of a traceback.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODO_EXIT_CODE = 3
RESULT_PREFIX = "RESULT "
# What a generated stub raises: NotImplementedError("TODO(<task id>): implement <name>").
_TODO_RE = re.compile(r"TODO\(([\w.]+)\): implement (.+)")


def launcher() -> str:
    """The ``python -c`` program that puts the code folder, then this project, on sys.path."""
    return (
        "import sys; sys.path[0:0] = [sys.argv[1], " + repr(str(ROOT)) + "]; "
        "from grader.learner_jobs import launch; launch(sys.argv[2], sys.argv[3])"
    )


def launch(job: str, args_json: str) -> None:
    """Run one job; turn a stub's NotImplementedError into a friendly message and exit code."""
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


class ProgressBar:
    """A text bar on stderr, e.g. ``[#####.....] 5/10``, that stays out of stdout's way."""

    WIDTH = 20

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        # On a terminal the bar is redrawn in place; elsewhere each step is a plain line.
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = False  # the bar has been drawn at least once
        self.visible = False  # a live bar is on screen right now

    def text(self) -> str:
        """The bar for the current count."""
        filled = self.WIDTH * self.done // self.total if self.total else self.WIDTH
        return f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}"

    def update(self, done: int) -> None:
        """Show ``done`` of ``total`` when it changed."""
        done = min(done, self.total)
        if done == self.done and self.shown:
            return
        self.done = done
        if self.live:
            self.stream.write("\r\033[K" + self.text())
            self.visible = True
        else:
            self.stream.write(self.text() + "\n")
        self.stream.flush()
        self.shown = True

    def hide(self) -> None:
        """Erase a live bar so the next stdout line starts at the left margin."""
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.visible = False

    def redraw(self) -> None:
        """Draw a live bar again after stdout wrote a line."""
        if self.live and self.shown and not self.visible:
            self.stream.write(self.text())
            self.stream.flush()
            self.visible = True

    def finish(self) -> None:
        """Leave the finished bar on its own line."""
        if self.live and self.shown:
            self.stream.write("\r\033[K" + self.text() + "\n")
            self.stream.flush()
        self.shown = self.visible = False


class _StdoutAroundBar:
    """sys.stdout stand-in: hides the live bar while the learner's code prints a line."""

    def __init__(self, real: Any, bar: ProgressBar) -> None:
        self.real = real
        self.bar = bar

    def write(self, text: str) -> int:
        self.bar.hide()
        self.real.flush()
        written = self.real.write(text)
        self.real.flush()
        if text.endswith("\n"):
            self.bar.redraw()
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def add_send_progress(producer_class: type) -> None:
    """Wrap ``send_batch``/``send_event`` of the class to show a bar as results come in."""
    original_batch = producer_class.send_batch
    original_event = producer_class.send_event
    state: dict[str, Any] = {"bar": None, "seen": set()}

    def send_event(self: Any, event_data: Any, partition_key: str) -> Any:
        result = original_event(self, event_data, partition_key)
        if state["bar"] is not None:
            state["seen"].add(id(event_data))  # a retried event counts once
            state["bar"].update(len(state["seen"]))
        return result

    def send_batch(self: Any, events: Any, partition_key_fn: Any, **kwargs: Any) -> Any:
        bar = ProgressBar(len(events))
        state["bar"], state["seen"] = bar, set()
        real_stdout = sys.stdout
        sys.stdout = _StdoutAroundBar(real_stdout, bar)
        try:
            results = original_batch(self, events, partition_key_fn, **kwargs)
            bar.update(len(results) if isinstance(results, list) else bar.done)
            return results
        finally:
            sys.stdout = real_stdout
            state["bar"] = None
            bar.finish()

    producer_class.send_batch = send_batch
    producer_class.send_event = send_event


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


class _PollRecorder:
    """Client wrapper: caps each GetRecords batch and records MillisBehindLatest per poll."""

    def __init__(self, client: Any, batch: int, produced: Callable[[], int], on_poll: Callable[[str], None]) -> None:
        self.client = client
        self.batch = batch
        self.produced = produced
        self.on_poll = on_poll
        self.delivered = 0
        self.polls: list[dict[str, Any]] = []
        self.started = time.monotonic()

    def get_records(self, **kwargs: Any) -> Any:
        # A real consumer asks for small batches it can handle; this one takes `batch` at most.
        kwargs["Limit"] = min(int(kwargs.get("Limit", self.batch)), self.batch)
        response = self.client.get_records(**kwargs)
        self.delivered += len(response["Records"])
        poll = {
            "at": round(time.monotonic() - self.started, 2),
            "records": len(response["Records"]),
            "millis_behind": int(response.get("MillisBehindLatest", 0)),
            "behind": max(self.produced() - self.delivered, 0),
        }
        self.polls.append(poll)
        self.on_poll(
            f"  t={poll['at']:4.1f}s  poll {len(self.polls):2d}: {poll['records']:3d} records"
            f"   MillisBehindLatest={poll['millis_behind']:5d} ms   {poll['behind']:4d} events behind"
        )
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def lag(stream: str, seconds: float, produce_rate: float, consume_rate: float, batch: int) -> dict[str, Any]:
    """The learner's producer sends at ``produce_rate`` while a consumer handles ``consume_rate``."""
    import enhanced_consumer as consumer_module
    import enhanced_producer as producer_module

    producer = producer_module.EventProducer(stream)
    producer.ensure_stream_exists(shard_count=1)
    produced = [0]
    failure: list[BaseException] = []

    def produce() -> None:
        started = time.monotonic()
        events = producer_module.generate_sample_events(int(seconds * produce_rate), seed=7)
        try:
            for number, event in enumerate(events):
                delay = started + number / produce_rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # keep a steady rate, as a real source would
                if producer.send_event(event, event["userId"]).get("success"):
                    produced[0] += 1
        except BaseException as error:  # reported by the main thread
            failure.append(error)

    class SlowConsumer(consumer_module.EventConsumer):
        """Handles ``consume_rate`` events a second, like a consumer doing real work."""

        next_due = 0.0

        def process_event(self, event: dict[str, Any]) -> bool:
            # Pace by the clock, not by a fixed sleep, so the time spent polling counts too;
            # at most 0.1 s of idle time is made up, so a pause is not followed by a burst.
            now = time.monotonic()
            self.next_due = max(self.next_due, now - 0.1) + 1 / consume_rate
            if self.next_due > now:
                time.sleep(self.next_due - now)
            return True

    shard_id = consumer_module.list_shard_ids(stream)[0]
    recorder = _PollRecorder(producer_module.make_kinesis_client(), batch, lambda: produced[0], lambda line: print(line, flush=True))
    consumer = SlowConsumer(stream, shard_id, client=recorder, poll_interval=0.2)
    sender = threading.Thread(target=produce, daemon=True)
    sender.start()
    consumer.consume(max_seconds=seconds)
    sender.join(timeout=seconds + 5)
    if failure:
        raise failure[0]
    return {"produced": produced[0], "read": consumer.events_processed, "polls": recorder.polls}


JOBS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "producer_main": producer_main,
    "consumer_main": consumer_main,
    "produce_tagged": produce_tagged,
    "consume_every_shard": consume_every_shard,
    "lag": lag,
}
