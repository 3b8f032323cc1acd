"""The module's experiments as commands, run on the embedded Kinesis in a few seconds.

``python -m grader.commands.experiments producers|consumers|filter|lag`` runs the learner's
code in child processes (the instructor's copy can run the reference: ``--code``) and then
states what happened, checked with the grader's own reads of the stream.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.commands.lab import Lab
from grader.commands.lag_experiment import lag
from grader.commands.run import add_code_option, exit_now
from grader.paths import ROOT

PRODUCERS = 3
CONSUMERS = 3
EVENTS_PER_PRODUCER = 10


def producers(lab: Lab) -> int:
    """Several producers at once: every event of each lands in the one stream."""
    print(
        f"{PRODUCERS} producers ({lab.code}/enhanced_producer.py, one process each) start together.\n"
        f"Each makes sure '{lab.stream}' exists, then sends {EVENTS_PER_PRODUCER} events keyed by user.\n"
    )
    tags = [f"producer-{i}" for i in range(1, PRODUCERS + 1)]
    results = lab.run_parallel(
        "produce_tagged",
        [{"stream": lab.stream, "tag": tag, "count": EVENTS_PER_PRODUCER, "seed": i} for i, tag in enumerate(tags, 1)],
        f"{PRODUCERS} producers",
    )
    if lab.failed("producer", results):
        return 1
    for tag, result in zip(tags, results, strict=True):
        lab.show_output(tag, result)
        r = result.result
        print(
            f"  {tag}: sent {r['sent']}/{EVENTS_PER_PRODUCER}  (events_sent={r['events_sent']}, "
            f"bytes_sent={r['bytes_sent']})  to {', '.join(r['shards'])}"
        )
    records = lab.view.all_records(lab.stream)
    landed = Counter((r.event() or {}).get("producer") for r in records)
    print(f"\nRead back by the grader: {len(records)} records in {len(lab.view.shard_ranges(lab.stream))} shards")
    for tag in tags:
        print(
            f"  {tag}: {landed[tag]}/{EVENTS_PER_PRODUCER} events in the stream "
            f"{'✓' if landed[tag] == EVENTS_PER_PRODUCER else '✗'}"
        )
    in_order = _per_key_order_kept(records)
    print(f"  each producer's events for one user are in the order it sent them: {'yes ✓' if in_order else 'no ✗'}")
    complete = all(landed[tag] == EVENTS_PER_PRODUCER for tag in tags) and in_order
    print(
        "\nAll events from all producers appear in the one stream: the producers never coordinated with each "
        "other,\nand none of them knows who will read the events."
        if complete
        else "\nSome events are missing or out of order: see task 6 (`make hint TASK=producer.concurrency`)."
    )
    return 0 if complete else 1


def _per_key_order_kept(records: list[Any]) -> bool:
    """Whether, per (producer, user), the events' numbers rise in stream order."""
    last: dict[tuple[str, str], int] = {}
    for record in records:  # shard after shard, each in sequence order
        event = record.event() or {}
        key = (event.get("producer"), event.get("userId"))
        if event.get("n", 0) <= last.get(key, 0):
            return False
        last[key] = event.get("n", 0)
    return True


def consumers(lab: Lab) -> int:
    """Several consumers: each reads every event; reading removes nothing."""
    events = lab.seed(24, seed=2)
    print(
        f"The stream '{lab.stream}' holds {len(events)} events. {CONSUMERS} consumers "
        f"({lab.code}/enhanced_consumer.py, one process each)\nread every shard at the same time.\n"
    )
    results = lab.run_parallel("consume_every_shard", [{"stream": lab.stream}] * CONSUMERS, f"{CONSUMERS} consumers")
    if lab.failed("consumer", results):
        return 1
    expected = sorted(e["n"] for e in events)
    all_seen = True
    for number, result in enumerate(results, 1):
        lab.show_output(f"consumer-{number}", result)
        seen = sorted(e.get("n", 0) for e in result.result["events"])
        ok = seen == expected
        all_seen = all_seen and ok
        print(
            f"  consumer-{number}: read {result.result['read']} events, {len(set(seen) & set(expected))} "
            f"of the {len(expected)} in the stream {'✓' if ok else '✗'}"
        )
    print(
        "\nEach consumer saw every event: reading a stream does not remove anything, so consumers stay "
        "independent\n(a message queue would hand each message to one consumer only)."
        if all_seen
        else "\nA consumer missed events or saw some twice: see task 12 (`make hint TASK=consumer.independence`)."
    )
    return 0 if all_seen else 1


def filtering(lab: Lab) -> int:
    """The filtering consumer: only add_to_cart events match, yet every record is read."""
    events = lab.seed(40, seed=3)
    carts = [e for e in events if e["type"] == "add_to_cart"]
    print(
        f"The stream '{lab.stream}' holds {len(events)} events, {len(carts)} of them add_to_cart. One consumer "
        f"({lab.code}/enhanced_consumer.py)\nreads it with a filter that keeps only add_to_cart.\n"
    )
    [result] = lab.run_parallel(
        "consume_every_shard", [{"stream": lab.stream, "only_type": "add_to_cart"}], "the filtering consumer"
    )
    if lab.failed("consumer", [result]):
        return 1
    lab.show_output("consumer", result)
    r = result.result
    matched_ok = sorted(e.get("n", 0) for e in r["events"]) == sorted(e["n"] for e in carts)
    print(f"  events read:    {r['read']} (the stream holds {len(events)}) {'✓' if r['read'] == len(events) else '✗'}")
    print(
        f"  events matched: {r['matched']} (add_to_cart in the stream: {len(carts)}) "
        f"{'✓' if r['matched'] == len(carts) else '✗'}"
    )
    print(f"  returned:       {len(r['events'])} events, all add_to_cart: {'yes ✓' if matched_ok else 'no ✗'}")
    ok = matched_ok and r["read"] == len(events) and r["matched"] == len(carts)
    print(
        f"\nTo keep {len(carts)} events the consumer fetched and decoded all {r['read']}: filtering happens after "
        "reading.\nKeep that cost in mind for checkpoint question 2 and discussion question 3."
        if ok
        else "\nThe counts are off: see task 11 (`make hint TASK=consumer.filtering`)."
    )
    return 0 if ok else 1


EXPERIMENTS: dict[str, Callable[[Lab], int]] = {
    "producers": producers,
    "consumers": consumers,
    "filter": filtering,
    "lag": lag,
}


def main(argv: list[str] | None = None) -> int:
    """Run one experiment and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m grader.commands.experiments", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS))
    add_code_option(parser)
    parser.add_argument("--verbose", action="store_true", help="also show everything the children printed")
    parser.add_argument(
        "--endpoint", metavar="URL", help="another Kinesis emulator instead of the embedded one (announced first)"
    )
    parser.add_argument("--region", default="us-east-1", help="region for --endpoint (default us-east-1)")
    parser.add_argument(
        "--svg",
        type=Path,
        default=ROOT / "out" / "experiment-lag.svg",
        help="where the lag experiment draws its charts (default out/experiment-lag.svg)",
    )
    args = parser.parse_args(argv)
    lab = Lab(args.code, args.verbose, endpoint=args.endpoint, region=args.region, svg=args.svg)
    try:
        return EXPERIMENTS[args.experiment](lab)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    finally:
        lab.close()


if __name__ == "__main__":
    exit_now(main())
