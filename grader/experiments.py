"""The module's experiments as commands, run on the embedded Kinesis in a few seconds.

``python -m grader.experiments producers|consumers|filter|lag [--code exercises|solutions]``
runs the learner's code (or the reference) in child processes and then states what
happened, checked with the grader's own reads of the stream.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader.embedded_run import CODE_FOLDERS, JobResult, check_folder, embedded_environment, learner_output, report_failure, run_job
from grader.harness.stream_view import StreamView

STREAM = "user-activity"
USERS = ["alice", "bob", "charlie", "diana"]
TYPES = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]
CHILD_TIMEOUT = 30.0  # seconds; a consumer that never stops is ended and explained
PRODUCERS = 3
CONSUMERS = 3
EVENTS_PER_PRODUCER = 10
# Discussion question 2 of the module: the producer sends 150 events/s, the consumer handles 100.
LAG_SECONDS, PRODUCE_RATE, CONSUME_RATE, LAG_BATCH = 3.0, 150.0, 100.0, 30


class Lab:
    """One embedded Kinesis, the learner's folder, and the trusted view of the stream."""

    def __init__(self, code: str, verbose: bool) -> None:
        from grader.embedded_kinesis import EmbeddedKinesis

        self.code = code
        self.folder: Path = check_folder(code)
        self.verbose = verbose
        self.kinesis = EmbeddedKinesis().start()
        self.env = embedded_environment(self.kinesis.client_environment())
        self.client = self.kinesis.client()
        self.view = StreamView(self.kinesis)

    def run_parallel(self, job: str, args_list: list[dict[str, Any]]) -> list[JobResult]:
        """Start one child per argument set at the same time and wait for all."""
        with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
            futures = [pool.submit(run_job, self.folder, job, args, self.env, timeout=CHILD_TIMEOUT, capture=True) for args in args_list]
            return [f.result() for f in futures]

    def failed(self, name: str, results: list[JobResult]) -> bool:
        """Show the first failure (a TODO message, a traceback, a timeout); True if any."""
        for result in results:
            if result.returncode != 0 or result.timed_out:
                sys.stdout.write(learner_output(result)[-2000:] if self.verbose else "")
                sys.stderr.write(result.stderr[-4000:])
                report_failure(name, result, CHILD_TIMEOUT)
                return True
        return False

    def show_output(self, label: str, result: JobResult) -> None:
        """With --verbose, show what one child printed."""
        if self.verbose:
            print(f"── {label} printed ──")
            print(learner_output(result).rstrip() or "(nothing)")

    def seed(self, count: int, seed: int, shards: int = 2) -> list[dict[str, Any]]:
        """Create the stream and write ``count`` events keyed by user, with the trusted client."""
        self.client.create_stream(StreamName=STREAM, ShardCount=shards)
        rng = random.Random(seed)
        events = [{"userId": rng.choice(USERS), "type": rng.choice(TYPES), "n": n} for n in range(1, count + 1)]
        self.view.put(STREAM, [(e["userId"], e) for e in events])
        return events

    def close(self) -> None:
        """Stop the embedded Kinesis."""
        self.kinesis.stop()


def producers(lab: Lab) -> int:
    """Several producers at once: every event of each lands in the one stream."""
    print(f"{PRODUCERS} producers ({lab.code}/enhanced_producer.py, one process each) start together.\n"
          f"Each makes sure '{STREAM}' exists, then sends {EVENTS_PER_PRODUCER} events keyed by user.\n")
    tags = [f"producer-{i}" for i in range(1, PRODUCERS + 1)]
    results = lab.run_parallel("produce_tagged", [
        {"stream": STREAM, "tag": tag, "count": EVENTS_PER_PRODUCER, "seed": i} for i, tag in enumerate(tags, 1)
    ])
    if lab.failed("producer", results):
        return 1
    for tag, result in zip(tags, results, strict=True):
        lab.show_output(tag, result)
        r = result.result
        print(f"  {tag}: sent {r['sent']}/{EVENTS_PER_PRODUCER}  (events_sent={r['events_sent']}, "
              f"bytes_sent={r['bytes_sent']})  to {', '.join(r['shards'])}")
    records = lab.view.all_records(STREAM)
    landed = Counter((r.event() or {}).get("producer") for r in records)
    print(f"\nRead back by the grader: {len(records)} records in {len(lab.view.shard_ranges(STREAM))} shards")
    for tag in tags:
        print(f"  {tag}: {landed[tag]}/{EVENTS_PER_PRODUCER} events in the stream {'✓' if landed[tag] == EVENTS_PER_PRODUCER else '✗'}")
    in_order = _per_key_order_kept(records)
    print(f"  each producer's events for one user are in the order it sent them: {'yes ✓' if in_order else 'no ✗'}")
    complete = all(landed[tag] == EVENTS_PER_PRODUCER for tag in tags) and in_order
    print("\nAll events from all producers appear in the one stream: the producers never coordinated with each "
          "other,\nand none of them knows who will read the events." if complete else
          "\nSome events are missing or out of order: see task 6 (`make hint TASK=producer.concurrency`).")
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
    print(f"The stream '{STREAM}' holds {len(events)} events. {CONSUMERS} consumers "
          f"({lab.code}/enhanced_consumer.py, one process each)\nread every shard at the same time.\n")
    results = lab.run_parallel("consume_every_shard", [{"stream": STREAM}] * CONSUMERS)
    if lab.failed("consumer", results):
        return 1
    expected = sorted(e["n"] for e in events)
    all_seen = True
    for number, result in enumerate(results, 1):
        lab.show_output(f"consumer-{number}", result)
        seen = sorted(e.get("n", 0) for e in result.result["events"])
        ok = seen == expected
        all_seen = all_seen and ok
        print(f"  consumer-{number}: read {result.result['read']} events, {len(set(seen) & set(expected))} "
              f"of the {len(expected)} in the stream {'✓' if ok else '✗'}")
    print("\nEach consumer saw every event: reading a stream does not remove anything, so consumers stay "
          "independent\n(a message queue would hand each message to one consumer only)." if all_seen else
          "\nA consumer missed events or saw some twice: see task 12 (`make hint TASK=consumer.independence`).")
    return 0 if all_seen else 1


def filtering(lab: Lab) -> int:
    """The filtering consumer: only add_to_cart events match, yet every record is read."""
    events = lab.seed(40, seed=3)
    carts = [e for e in events if e["type"] == "add_to_cart"]
    print(f"The stream '{STREAM}' holds {len(events)} events, {len(carts)} of them add_to_cart. One consumer "
          f"({lab.code}/enhanced_consumer.py)\nreads it with a filter that keeps only add_to_cart.\n")
    [result] = lab.run_parallel("consume_every_shard", [{"stream": STREAM, "only_type": "add_to_cart"}])
    if lab.failed("consumer", [result]):
        return 1
    lab.show_output("consumer", result)
    r = result.result
    matched_ok = sorted(e.get("n", 0) for e in r["events"]) == sorted(e["n"] for e in carts)
    print(f"  events read:    {r['read']} (the stream holds {len(events)}) {'✓' if r['read'] == len(events) else '✗'}")
    print(f"  events matched: {r['matched']} (add_to_cart in the stream: {len(carts)}) {'✓' if r['matched'] == len(carts) else '✗'}")
    print(f"  returned:       {len(r['events'])} events, all add_to_cart: {'yes ✓' if matched_ok else 'no ✗'}")
    ok = matched_ok and r["read"] == len(events) and r["matched"] == len(carts)
    print(f"\nTo keep {len(carts)} events the consumer fetched and decoded all {r['read']}: filtering happens after "
          "reading.\nKeep that cost in mind for checkpoint question 2 and discussion question 3." if ok else
          "\nThe counts are off: see task 11 (`make hint TASK=consumer.filtering`).")
    return 0 if ok else 1


def lag(lab: Lab) -> int:
    """Consumer lag: the producer outpaces the consumer and the gap grows every poll."""
    print(f"Your producer sends {PRODUCE_RATE:g} events/s to a 1-shard stream for {LAG_SECONDS:g} s while your consumer\n"
          f"handles {CONSUME_RATE:g} events/s (it takes {1000 / CONSUME_RATE:g} ms per event and asks for "
          f"{LAG_BATCH} records per poll).\n")
    result = run_job(lab.folder, "lag", {
        "stream": STREAM, "seconds": LAG_SECONDS, "produce_rate": PRODUCE_RATE, "consume_rate": CONSUME_RATE, "batch": LAG_BATCH,
    }, lab.env, timeout=CHILD_TIMEOUT, capture=True, echo=True)
    if lab.failed("lag experiment", [result]):
        return 1
    r = result.result
    busy = [p for p in r["polls"] if p["records"]]
    first, last = (busy[0], busy[-1]) if busy else ({"millis_behind": 0, "behind": 0}, {"millis_behind": 0, "behind": 0})
    print(f"\nThe producer sent {r['produced']} events ({r['produced'] / LAG_SECONDS:.0f}/s); "
          f"the consumer handled {r['read']} ({r['read'] / LAG_SECONDS:.0f}/s).")
    print(f"Events behind went from {first['behind']} to {last['behind']}, and MillisBehindLatest from "
          f"{first['millis_behind']} ms to {last['millis_behind']} ms:\nthe gap grows by about "
          f"{PRODUCE_RATE - CONSUME_RATE:g} events every second and never closes on its own.")
    print(f"\nThis is discussion question 2 (discussion.q2 in exercises/checkpoint.md): a consumer handling "
          f"{CONSUME_RATE:g} events/s\nagainst a producer sending {PRODUCE_RATE:g}/s. Extend these figures to a "
          "minute and to an hour, then say\nwhat you could do about it.")
    return 0


EXPERIMENTS: dict[str, Callable[[Lab], int]] = {
    "producers": producers, "consumers": consumers, "filter": filtering, "lag": lag,
}


def main(argv: list[str] | None = None) -> int:
    """Run one experiment and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m grader.experiments", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=sorted(EXPERIMENTS))
    parser.add_argument("--code", choices=CODE_FOLDERS, default="exercises", help="whose code to run (default: exercises)")
    parser.add_argument("--verbose", action="store_true", help="also show everything the children printed")
    args = parser.parse_args(argv)
    lab = Lab(args.code, args.verbose)
    try:
        return EXPERIMENTS[args.experiment](lab)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    finally:
        lab.close()


if __name__ == "__main__":
    sys.exit(main())
