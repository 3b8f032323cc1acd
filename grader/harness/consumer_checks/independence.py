"""Checks of consumer.independence: consumers of one shard in one program each keep their
own counters and results."""

from __future__ import annotations

from typing import Any

from grader.harness.consumer_checks.conditions import DRY_CLOSE, SHARD0, new_consumer
from grader.harness.feedback import Feedback, Missing, show
from grader.harness.script import Script
from grader.kinesis.stream_view import StreamView

COUNTERS = ("events_processed", "bytes_processed", "events_matched")


def _counted(stats: Any) -> dict[str, Any]:
    """The counters of a get_stats answer (whatever else it holds is consumer.throughput's)."""
    return {k: stats[k] for k in COUNTERS if k in stats} if isinstance(stats, dict) else {}


def check_stats_per_consumer(learner: Any, streams: StreamView, name: str, consumers: int) -> None:
    """get_stats reports each consumer's own figures: after consumers of one shard read it one
    after the other, each one's get_stats still gives what the first one's gave after its read.

    Compared with get_stats itself (never with the attributes), so a get_stats that reports
    wrong figures is consumer.throughput's mistake; one that fails is not judged here either."""
    script = Script()
    made = [new_consumer(script, name, SHARD0) for _ in range(consumers)]
    script.call(made[0], "consume", dry=DRY_CLOSE)
    first = script.call(made[0], "get_stats")
    for consumer in made[1:]:
        script.call(consumer, "consume", dry=DRY_CLOSE)
    later = [script.call(consumer, "get_stats") for consumer in made]
    try:
        outcome = learner.run(script)
    except Feedback:
        return  # reading or get_stats itself failed: their own tasks say why
    wanted = _counted(outcome[first])
    for number, ref in enumerate(later, 1):
        if wanted and _counted(outcome[ref]) != wanted:
            raise Feedback(
                f"{consumers} consumers of the same shard in one program, one consume() after the other, then "
                f"get_stats() of each",
                f"gave consumer {number} the stats {show(_counted(outcome[ref]))}",
                f"{show(wanted)}, what the first consumer's get_stats gave right after its own read",
                "figures kept in a module-level dict or a class attribute are shared by every consumer; keep them "
                "on self",
            )


def check_independent_consumers(
    learner: Any, streams: StreamView, consumers: int, keyed_events: list[tuple[str, Any]]
) -> None:
    """Several consumers of one shard in one program: each reads every event with its own
    counters, its own results and its own get_stats figures; a later one changes nothing of an
    earlier one."""
    name = streams.create(1)
    streams.put(name, keyed_events)
    script = Script()
    made = [new_consumer(script, name, SHARD0) for _ in range(consumers)]
    steps = []
    for consumer in made:
        read = script.call(consumer, "consume", dry=DRY_CLOSE)
        steps.append((read, script.observed(consumer), script.attrs(consumer, *COUNTERS)))
    final = [(script.show(read), script.attrs(consumer, *COUNTERS)) for consumer, (read, _, _) in zip(made, steps)]
    outcome = learner.run(script)
    called = f"{consumers} consumers of the same shard in one program, one consume() after the other"
    first_seen = outcome[steps[0][1]]
    if not first_seen:
        raise Feedback(
            called,
            "passed no event to the first consumer's process_event",
            f"each consumer to read all {len(keyed_events)} events",
        )

    def present(counts: dict[str, Any]) -> dict[str, Any]:  # a counter the class lacks is filtering's or throughput's
        return {k: v for k, v in counts.items() if not isinstance(v, Missing)}

    first_counts = present(outcome[steps[0][2]])
    first_result = outcome[steps[0][0]]
    for number, ((read, seen, counts), (result_now, counts_now)) in enumerate(zip(steps, final), 1):
        if outcome[seen] != first_seen:
            raise Feedback(
                called,
                f"passed {len(outcome[seen])} event(s) to consumer {number}'s process_event, {len(first_seen)} to the "
                "first's",
                "every consumer to read every event",
                "unlike a queue, reading a stream removes nothing: each consumer sees every event",
            )
        if present(outcome[counts]) != first_counts or present(outcome[counts_now]) != first_counts:
            raise Feedback(
                called,
                f"gave consumer {number} the counters {show(outcome[counts])} right after its read and "
                f"{show(outcome[counts_now])} "
                f"at the end; the first consumer had {show(first_counts)}",
                "each consumer to count its own reads, untouched by the others",
                "counters in class attributes or module variables are shared by every consumer; set them on self in "
                "__init__",
            )
        if isinstance(first_result, list) and (outcome[read] != first_result or outcome[result_now] != outcome[read]):
            raise Feedback(
                called,
                f"returned {show(outcome[read])} to consumer {number} and later showed it as "
                f"{show(outcome[result_now])}",
                f"each consumer's own list of events: {show(first_result)}",
                "a list kept in a class attribute or a module variable is shared by every consumer",
            )
    check_stats_per_consumer(learner, streams, name, consumers)
