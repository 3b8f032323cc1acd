"""The child side of ``make run`` and the experiments: runs learner code in its own process.

The parent (``grader.commands.run``, ``grader.commands.experiments``) starts
``python -c LAUNCHER <folder> <job> <json args>`` with the code folder first on sys.path
and the Kinesis environment set. A job ends with one ``RESULT {...}`` line on stdout that
the parent reads. A stub that is still a TODO ends the process with ``TODO_EXIT_CODE`` and
a short explanation on stderr instead of a traceback.
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.paths import ROOT

TODO_EXIT_CODE = 3
RESULT_PREFIX = "RESULT "
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


def bar(done: int, total: int, width: int) -> str:
    """``#####.....``: ``done`` of ``total`` in ``width`` characters (full when total is 0)."""
    filled = width * done // total if total else width
    return "#" * filled + "." * (width - filled)


class ProgressBar:
    """A text bar on stderr, e.g. ``[#####.....] 5/10``, that stays out of stdout's way."""

    WIDTH = 20

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        # On a terminal the bar is redrawn in place; elsewhere (a log, a pipe) it is written once, finished.
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = False  # the bar has been drawn at least once
        self.visible = False  # a live bar is on screen right now

    def text(self) -> str:
        """The bar for the current count."""
        return f"[{bar(self.done, self.total, self.WIDTH)}] {self.done}/{self.total}"

    def update(self, done: int) -> None:
        """Show ``done`` of ``total`` when it changed."""
        done = min(done, self.total)
        if done == self.done and self.shown:
            return
        self.done = done
        self.shown = True
        if not self.live:
            return
        self.stream.write("\r\033[K" + self.text())
        self.visible = True
        self.stream.flush()

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
        if self.shown:
            self.stream.write(("\r\033[K" if self.live else "") + self.text() + "\n")
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


class SimulatedClock:
    """A clock for one child process: every clock of the time module reads it, and sleeping
    moves it forward at once. The lag experiment runs on it, so its figures are the same on
    every machine, however busy."""

    CALL_SECONDS = 0.005  # what one Kinesis call costs on this clock, a stand-in for the network

    def __init__(self) -> None:
        self.now = 0.0
        self.epoch = time.time()
        self.saved: dict[str, Any] = {}

    def install(self) -> None:
        """Replace the time module's clocks and sleep with this clock's."""
        replacements = {
            "time": lambda: self.epoch + self.now,
            "monotonic": lambda: self.now,
            "perf_counter": lambda: self.now,
            "time_ns": lambda: int((self.epoch + self.now) * 1e9),
            "monotonic_ns": lambda: int(self.now * 1e9),
            "perf_counter_ns": lambda: int(self.now * 1e9),
            "sleep": self.sleep,
        }
        for name, function in replacements.items():
            self.saved[name] = getattr(time, name)
            setattr(time, name, function)

    def uninstall(self) -> None:
        """Give the time module its own clocks back."""
        for name, function in self.saved.items():
            setattr(time, name, function)
        self.saved.clear()

    def sleep(self, seconds: float) -> None:
        self.now += max(float(seconds), 0.0)


class OutOfTime(BaseException):
    """The learner's consumer ran far past the experiment's end (a BaseException: not caught by
    an ``except Exception`` in learner code)."""


class _LagRecorder:
    """Client wrapper for the lag experiment's consumer. Before each GetRecords it lets the
    producer catch up: every event due by now on the simulated clock is sent, at its due time,
    with the learner's producer. It caps each batch, sets MillisBehindLatest from the simulated
    arrival times (how far the batch's last record is behind the newest one, as Kinesis
    defines it), and records every poll."""

    def __init__(
        self,
        client: Any,
        clock: SimulatedClock,
        batch: int,
        send_due: Callable[[float], None],
        arrivals: dict[str, float],
        produced: Callable[[], int],
        limit: float,
    ) -> None:
        self.client, self.clock, self.batch = client, clock, batch
        self.send_due, self.arrivals, self.produced, self.limit = send_due, arrivals, produced, limit
        self.delivered = 0
        self.polls: list[dict[str, Any]] = []

    def get_records(self, **kwargs: Any) -> Any:
        if self.clock.now > self.limit:
            raise OutOfTime(f"the consumer was still reading {self.clock.now:.0f} simulated seconds after it started")
        self.send_due(self.clock.now)
        self.clock.sleep(SimulatedClock.CALL_SECONDS)
        kwargs["Limit"] = min(int(kwargs.get("Limit", self.batch)), self.batch)
        response = self.client.get_records(**kwargs)
        records = response["Records"]
        self.delivered += len(records)
        newest = max(self.arrivals.values(), default=0.0)
        last = self.arrivals.get(records[-1]["SequenceNumber"], newest) if records else newest
        response["MillisBehindLatest"] = int(round((newest - last) * 1000))
        poll = {
            "at": round(self.clock.now, 3),
            "records": len(records),
            "millis_behind": response["MillisBehindLatest"],
            "behind": max(self.produced() - self.delivered, 0),
        }
        self.polls.append(poll)
        print(
            f"  t={poll['at']:4.1f}s  poll {len(self.polls):2d}: {poll['records']:3d} records"
            f"   MillisBehindLatest={poll['millis_behind']:5d} ms   {poll['behind']:4d} events behind",
            flush=True,
        )
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def lag(stream: str, seconds: float, produce_rate: float, consume_rate: float, batch: int) -> dict[str, Any]:
    """The learner's producer sends at ``produce_rate`` while their consumer, slowed to
    ``consume_rate`` events a second, reads for ``seconds``: all on the simulated clock."""
    import enhanced_consumer as consumer_module
    import enhanced_producer as producer_module

    clock = SimulatedClock()
    producer = producer_module.EventProducer(stream)
    producer.ensure_stream_exists(shard_count=1)
    events = producer_module.generate_sample_events(int(seconds * produce_rate), seed=7)
    arrivals: dict[str, float] = {}
    sent = [0]

    def send_due(until: float) -> None:
        """Send every event due by ``until`` (and before the end), each at its own time."""
        now = clock.now
        while sent[0] < len(events) and sent[0] / produce_rate <= min(until, seconds):
            clock.now = sent[0] / produce_rate
            result = producer.send_event(events[sent[0]], events[sent[0]]["userId"])
            if isinstance(result, dict) and result.get("success") and result.get("sequence_number"):
                arrivals[str(result["sequence_number"])] = sent[0] / produce_rate
            sent[0] += 1
        clock.now = now  # the producer is another program: its time does not pass on the consumer's clock

    class SlowConsumer(consumer_module.EventConsumer):
        """Handles ``consume_rate`` events a second, like a consumer doing real work."""

        def process_event(self, event: dict[str, Any]) -> bool:
            time.sleep(1 / consume_rate)
            return True

    shard_id = consumer_module.list_shard_ids(stream)[0]
    recorder = _LagRecorder(
        producer_module.make_kinesis_client(),
        clock,
        batch,
        send_due,
        arrivals,
        lambda: len(arrivals),
        limit=seconds + 30,
    )
    consumer = SlowConsumer(stream, shard_id, client=recorder, poll_interval=0.2)
    clock.install()
    try:
        consumer.consume(max_seconds=seconds)
        ended = clock.now
        send_due(ended)  # what the producer sent while the consumer ran, and nothing after it stopped
    finally:
        clock.uninstall()
    return {
        "produced": len(arrivals),
        "read": consumer.events_processed,
        "polls": recorder.polls,
        "seconds": round(ended, 3),
        "produce_seconds": round(min(ended, seconds), 3),
    }


JOBS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "producer_main": producer_main,
    "consumer_main": consumer_main,
    "produce_tagged": produce_tagged,
    "consume_every_shard": consume_every_shard,
    "lag": lag,
}
