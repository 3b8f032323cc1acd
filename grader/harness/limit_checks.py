"""Checks that code keeps within Kinesis's limits, or copes with them, as it must on AWS.

The embedded Kinesis enforces AWS's limits on the run's simulated clock (see
``grader.kinesis.rules``), so these checks need no injected faults: a burst above a
shard's write rate, a backlog read faster than a shard serves, several readers of one
shard and streams of more than 100 shards all behave here as they do on AWS. Each check
belongs to the task whose contract it checks.
"""

from __future__ import annotations

from typing import Any

from grader.harness.checking import CONSUMER_CLASS, PRODUCER_CLASS, require_int, require_type
from grader.harness.consumer_checks import DRY_CLOSE
from grader.harness.consumer_checks.all_shards import require_every_shard
from grader.harness.feedback import Feedback, show
from grader.harness.producer_checks import which_event
from grader.harness.script import CONSUMER, Script
from grader.kinesis import limits
from grader.kinesis.stream_view import StreamView, encode_event, event_identity

SHARD = "shardId-000000000000"
# A throttled producer waits on purpose (backing off until the shard has room again). The
# readers' checks keep the default budgets: a reader that never stops is cut off sooner.
PATIENT = {"seconds_budget": 40.0, "http_budget": 1000}


def payload_events(count: int, users: int, note_bytes: int) -> list[dict[str, Any]]:
    """Events of a few users, each carrying a note of about ``note_bytes`` bytes."""
    return [
        {"userId": f"user-{n % users}", "type": "view_page", "n": n, "note": "x" * note_bytes} for n in range(count)
    ]


def _same_events(got: Any, wanted: list[Any]) -> bool:
    return isinstance(got, list) and [event_identity(e) for e in got] == [event_identity(e) for e in wanted]


def check_write_burst(learner: Any, streams: StreamView, count: int, note_bytes: int) -> None:
    """producer.ordering: a burst above a shard's 1 MiB/s is throttled; send_batch backs off and
    retries, so every event lands once, in order."""
    name = streams.create(1)
    events = payload_events(count, 3, note_bytes)
    size = sum(len(encode_event(e)) for e in events)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    batch = script.send_batch(
        producer,
        events,
        expect="every event sent once, in order, after waiting out each throttled send",
    )
    learner.run(script, **PATIENT)
    throttled = learner.kinesis.rules.refused["ProvisionedThroughputExceededException"]
    called = (
        f"{batch.label}: {count} events, {size / limits.MiB:.1f} MiB, to one shard "
        f"(Kinesis refused {throttled} send(s) as over the shard's 1 MiB or 1,000 records per second)"
    )
    # Records are matched to events by content, as in the other ordering checks: the data
    # format is send_event's clause, not this one's.
    stored = streams.all_records(name)
    positions = [which_event(record, events) for record in stored]
    if positions != list(range(len(events))):
        lost = len(set(range(len(events))) - set(positions))
        raise Feedback(
            called,
            f"left {len(stored)} record(s) on the shard ({lost} event(s) missing)"
            if lost
            else f"left the {len(stored)} records out of order or repeated",
            f"all {count} events, each once, in the order given",
            "ProvisionedThroughputExceededException means 'not now': wait a little longer after each "
            "refusal and send the same event again before the next one",
        )


def check_backlog_read(learner: Any, streams: StreamView, count: int, note_bytes: int) -> None:
    """consumer.read_shard: a backlog of several hundred records takes a reader with a small
    Limit more reads than a shard serves at once (5 a second); consume paces itself or
    retries throttled reads with the same iterator, so every record comes back once, in order."""
    name = streams.create(1)
    stored = streams.put(name, [(e["userId"], e) for e in payload_events(count, 2, note_bytes)])
    script = Script()
    # Reading is judged on what reaches process_event (the returned list is filtering's), and a
    # shard found dry 3 times in a row looks closed, so a consume that never stops keeps these points.
    consumer = script.new(CONSUMER_CLASS, name, SHARD, name="consumer", observe=True)
    read = script.call(consumer, "consume", expect="every record once, in order", dry=DRY_CLOSE)
    seen = script.observed(consumer)
    counters = script.attrs(consumer, "events_processed")
    outcome = learner.run(script)
    wanted = [r.event() for r in stored]
    size = sum(len(r.data) for r in stored)
    throttled = learner.kinesis.rules.refused["ProvisionedThroughputExceededException"]
    called = (
        f"{read.label} on a shard holding {count} records ({size / 1024:.0f} KiB; Kinesis refused "
        f"{throttled} read(s) as over the shard's 5 reads or 2 MiB per second)"
    )
    events = outcome[seen]
    if not _same_events(events, wanted):
        raise Feedback(
            called,
            f"passed {len(events)} event(s) to process_event",
            f"the {count} events of the shard, in order, each once",
            "a shard serves 5 reads and 2 MiB a second to all its readers together: pause between reads, "
            "and after a ProvisionedThroughputExceededException try again with the same iterator",
        )
    processed = require_int(outcome[counters]["events_processed"], called, "events_processed")
    if processed != count:
        raise Feedback(called, f"left events_processed at {processed}", f"{count}, the records on the shard")


def check_idle_polling(learner: Any, streams: StreamView, poll_interval: float, seconds: float) -> None:
    """consumer.stopping: on a shard with nothing new, consume(max_seconds=...) waits
    poll_interval between reads, every time (not longer and longer), instead of asking again
    at once, and returns within a poll_interval after max_seconds."""
    name = streams.create(1)
    script = Script()
    consumer = script.new(CONSUMER_CLASS, name, SHARD, name="consumer", poll_interval=poll_interval)
    before = script.clock()
    read = script.call(consumer, "consume", max_seconds=seconds, expect=f"a read about every {poll_interval:g} s")
    after = script.clock()
    outcome = learner.run(script, seconds_budget=seconds + 60, http_budget=2000)
    reads = learner.kinesis.rules.calls["GetRecords"]
    allowed = int(seconds / poll_interval) + 2
    # A wait of poll_interval, maybe plus the 0.2 s between two reads of a shard that pacing asks for.
    fewest = int(seconds / (poll_interval + 0.21))
    called = f"{read.label} on an empty shard, with poll_interval={poll_interval:g}"
    if reads < max(2, fewest):
        raise Feedback(
            called,
            f"called get_records {reads} time(s) in {seconds:g} simulated seconds",
            f"at least {max(2, fewest)}: a read, then another after each {poll_interval:g} s wait until the time is up",
            "with max_seconds the consumer keeps polling, every poll_interval: an event that arrives later must "
            "still be read soon",
        )
    if reads > allowed:
        raise Feedback(
            called,
            f"called get_records {reads} times in {seconds:g} simulated seconds",
            f"at most {allowed}: one read, then one more after each {poll_interval:g} s wait",
            "an empty read means 'nothing yet': sleep poll_interval before asking again. Each read costs "
            "money and uses the shard's 5 reads a second, which every reader of the shard shares",
        )
    elapsed = outcome[after] - outcome[before]
    if not seconds - 0.001 <= elapsed <= seconds + poll_interval + 0.21:
        raise Feedback(
            called,
            f"returned after {elapsed:.2f} simulated seconds",
            f"it to return within one poll_interval after max_seconds: between {seconds:g} and "
            f"{seconds + poll_interval + 0.21:.2f} s",
            "the time is checked before every read, and each wait is poll_interval, not more",
        )


def check_many_shards_stats(learner: Any, streams: StreamView, shard_count: int) -> None:
    """producer.stats: get_stats counts every shard of a stream with more than 100 of them."""
    name = streams.create(shard_count)
    script = Script()
    producer = script.new(PRODUCER_CLASS, name, name="producer")
    stats = script.call(producer, "get_stats", expect="{'status': 'ACTIVE', 'shards': ..., 'retention_hours': 24}")
    outcome = learner.run(script)
    value = outcome[stats]
    require_type(value, dict, stats.label, "the result")
    if value.get("shards") != shard_count:
        raise Feedback(
            f"{stats.label} on a stream of {shard_count} shards",
            f"reported shards = {show(value.get('shards'))}",
            str(shard_count),
            f"describe_stream lists at most {limits.DESCRIBE_STREAM_MAX_SHARDS} shards per call and sets "
            "HasMoreShards when there are more: ask again with ExclusiveStartShardId (or use "
            "describe_stream_summary's OpenShardCount)",
        )


def check_many_shards_listed(learner: Any, streams: StreamView, shard_count: int) -> None:
    """consumer.all_shards: list_shard_ids names every shard of a stream with more than 100 of them."""
    name = streams.create(shard_count)
    script = Script()
    ids = script.function(f"{CONSUMER}.list_shard_ids", name, expect="every shard id of the stream")
    outcome = learner.run(script)
    require_every_shard(
        outcome[ids],
        streams,
        name,
        f"{ids.label} on a stream of {shard_count} shards",
        "Kinesis answers in pages: describe_stream gives at most 100 shards (then HasMoreShards), "
        "list_shards a NextToken while more remain; keep asking until the last page",
    )
