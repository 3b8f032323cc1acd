"""The lag experiment's child side: the learner's producer and a slowed-down consumer, on a simulated clock.

The parent (``grader.commands.lag_experiment``) starts it as the job ``lag`` (see
``grader.commands.jobs``) and charts the polls it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


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


class _Pace:
    """The consumer's work: ``rate`` events a second on the simulated clock. While events are
    waiting for it, its pauses between reads count as time it worked in, so however the
    learner's code paces its reads, it handles ``rate`` events a second while it is behind.
    A poll that leaves nothing behind starts the count again: idle time is not saved up."""

    def __init__(self, clock: SimulatedClock, rate: float) -> None:
        self.clock, self.rate = clock, rate
        self.handled = 0
        self.since, self.counted = 0.0, 0  # the count runs from this time and number handled

    def handle(self) -> None:
        """One event: done no sooner than its turn at ``rate`` a second."""
        self.handled += 1
        due = self.since + (self.handled - self.counted) / self.rate
        if self.clock.now < due:
            time.sleep(due - self.clock.now)

    def idle(self, now: float) -> int:
        """How many events the consumer could have handled by ``now`` and has not."""
        return max(int((now - self.since) * self.rate) - (self.handled - self.counted), 0)

    def caught_up(self, now: float) -> None:
        """The consumer has read everything there is: count from now (or from the end of its work)."""
        self.since = max(now, self.since + (self.handled - self.counted) / self.rate)
        self.counted = self.handled


class OutOfTime(BaseException):
    """The learner's consumer ran far past the experiment's end (a BaseException: not caught by
    an ``except Exception`` in learner code)."""


class _LagRecorder:
    """Client wrapper for the lag experiment's consumer. Before each GetRecords it lets the
    producer catch up: every event due by now on the simulated clock is sent, at its due time,
    with the learner's producer. It sizes each batch so that the consumer can keep its rate
    whatever its pauses between reads (``batch`` plus what the consumer could have handled
    while it paused), sets MillisBehindLatest from the simulated arrival times (how far the
    batch's last record is behind the newest one, as Kinesis defines it), and records every poll."""

    def __init__(
        self,
        client: Any,
        clock: SimulatedClock,
        batch: int,
        send_due: Callable[[float], None],
        arrivals: dict[str, float],
        pace: _Pace,
        limit: float,
    ) -> None:
        self.client, self.clock, self.batch = client, clock, batch
        self.send_due, self.arrivals, self.pace, self.limit = send_due, arrivals, pace, limit
        self.delivered = 0
        self.smallest_limit: int | None = None  # the smallest Limit the consumer asked for
        self.polls: list[dict[str, Any]] = []

    def get_records(self, **kwargs: Any) -> Any:
        if self.clock.now > self.limit:
            raise OutOfTime(f"the consumer was still reading {self.clock.now:.0f} simulated seconds after it started")
        self.send_due(self.clock.now)
        self.clock.sleep(SimulatedClock.CALL_SECONDS)
        asked = int(kwargs.get("Limit", 10000))
        self.smallest_limit = asked if self.smallest_limit is None else min(self.smallest_limit, asked)
        kwargs["Limit"] = max(1, min(asked, self.batch + self.pace.idle(self.clock.now)))
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
            "behind": max(len(self.arrivals) - self.delivered, 0),
        }
        self.polls.append(poll)
        if not poll["behind"]:
            self.pace.caught_up(self.clock.now)
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

    pace = _Pace(clock, consume_rate)

    class SlowConsumer(consumer_module.EventConsumer):
        """Handles ``consume_rate`` events a second, like a consumer doing real work."""

        def process_event(self, event: dict[str, Any]) -> bool:
            pace.handle()
            return True

    shard_id = consumer_module.list_shard_ids(stream)[0]
    recorder = _LagRecorder(
        producer_module.make_kinesis_client(), clock, batch, send_due, arrivals, pace, limit=seconds + 30
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
        "smallest_limit": recorder.smallest_limit,
    }
