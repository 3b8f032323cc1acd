"""The module's experiments as commands, run on the embedded Kinesis in a few seconds.

``python -m grader.commands.experiments producers|consumers|filter|lag [--code exercises|solutions]``
runs the learner's code (or the reference) in child processes and then states what
happened, checked with the grader's own reads of the stream.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader.commands import charts
from grader.commands.run import (
    CODE_FOLDERS,
    JobResult,
    check_folder,
    embedded_environment,
    endpoint_environment,
    learner_output,
    report_failure,
    run_job,
)
from grader.kinesis.stream_view import Record, StreamView, encode_event
from grader.paths import ROOT

STREAM = "user-activity"
USERS = ["alice", "bob", "charlie", "diana"]
TYPES = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]
CHILD_TIMEOUT = 30.0  # seconds; a consumer that never stops is ended and explained
PRODUCERS = 3
CONSUMERS = 3
EVENTS_PER_PRODUCER = 10
# Discussion question 2 of the module: the producer sends 150 events/s, the consumer handles 100.
LAG_SECONDS, PRODUCE_RATE, CONSUME_RATE, LAG_BATCH = 3.0, 150.0, 100.0, 30


class ClientView:
    """The grader's reads and writes through a boto3 client, for an endpoint other than the
    embedded Kinesis (whose storage the StreamView reads directly)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def shard_ranges(self, name: str) -> list[tuple[str, int, int]]:
        shards = self.client.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
        return [
            (s["ShardId"], int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in shards
        ]

    def put(self, name: str, keyed_events: list[tuple[str, Any]]) -> None:
        for key, event in keyed_events:
            self.client.put_record(StreamName=name, Data=encode_event(event), PartitionKey=key)

    def all_records(self, name: str) -> list[Record]:
        records = []
        for shard_id, _, _ in self.shard_ranges(name):
            iterator = self.client.get_shard_iterator(
                StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                response = self.client.get_records(ShardIterator=iterator, Limit=1000)
                records += [
                    Record(shard_id, int(r["SequenceNumber"]), r["PartitionKey"], r["Data"])
                    for r in response["Records"]
                ]
                if not response["Records"] and not response.get("MillisBehindLatest"):
                    break
                iterator = response.get("NextShardIterator")
        return records


class Lab:
    """One Kinesis (embedded unless an endpoint is given), the learner's folder, and the
    trusted view of the stream."""

    def __init__(
        self, code: str, verbose: bool, endpoint: str | None = None, region: str = "us-east-1", svg: Path | None = None
    ) -> None:
        self.code = code
        self.folder: Path = check_folder(code)
        self.verbose = verbose
        self.svg = svg
        self.kinesis: Any = None
        self.endpoint = endpoint
        if endpoint:
            import boto3

            # Another emulator keeps its streams: a name of this run's own, deleted at the end.
            self.stream = f"{STREAM}-{os.getpid()}"
            print(
                f"⚠ Using the Kinesis endpoint at {endpoint} (region {region}, fake credentials), not the embedded "
                "one.\n"
                f"  This experiment makes the stream '{self.stream}' there and deletes it at the end.\n",
                flush=True,
            )
            self.env = endpoint_environment(endpoint, region)
            self.client = boto3.client(
                "kinesis",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self.view: Any = ClientView(self.client)
        else:
            from grader.kinesis.server import EmbeddedKinesis

            self.stream = STREAM
            self.kinesis = EmbeddedKinesis().start()
            self.env = embedded_environment(self.kinesis.client_environment())
            self.client = self.kinesis.client()
            self.view = StreamView(self.kinesis)

    def run_parallel(self, job: str, args_list: list[dict[str, Any]]) -> list[JobResult]:
        """Start one child per argument set at the same time and wait for all."""
        with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
            futures = [
                pool.submit(run_job, self.folder, job, args, self.env, timeout=CHILD_TIMEOUT, capture=True)
                for args in args_list
            ]
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
        self.client.create_stream(StreamName=self.stream, ShardCount=shards)
        if self.endpoint:
            self.client.get_waiter("stream_exists").wait(
                StreamName=self.stream, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        rng = random.Random(seed)
        events = [{"userId": rng.choice(USERS), "type": rng.choice(TYPES), "n": n} for n in range(1, count + 1)]
        self.view.put(self.stream, [(e["userId"], e) for e in events])
        return events

    def close(self) -> None:
        """Stop the embedded Kinesis, or delete this run's stream from the other endpoint."""
        if self.kinesis is not None:
            self.kinesis.stop()
        elif self.endpoint:
            try:
                self.client.delete_stream(StreamName=self.stream, EnforceConsumerDeletion=True)
            except Exception as error:  # noqa: BLE001 -- the stream may never have been made
                print(f"(the stream '{self.stream}' was not deleted: {error})", file=sys.stderr)


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
    results = lab.run_parallel("consume_every_shard", [{"stream": lab.stream}] * CONSUMERS)
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
    [result] = lab.run_parallel("consume_every_shard", [{"stream": lab.stream, "only_type": "add_to_cart"}])
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


def lag(lab: Lab) -> int:
    """Consumer lag: the producer outpaces the consumer and the gap grows every poll.

    It runs on a simulated clock (sleeps cost nothing, each Kinesis call 5 ms), so its figures
    are the same on every machine; every sentence of the conclusion comes from them."""
    print(
        f"Your producer sends {PRODUCE_RATE:g} events/s to a 1-shard stream for {LAG_SECONDS:g} s while your consumer\n"
        f"handles {CONSUME_RATE:g} events/s (it takes {1000 / CONSUME_RATE:g} ms per event and asks for "
        f"{LAG_BATCH} records per poll).\n"
        "Both run on a simulated clock, so these figures are the same on every machine.\n"
    )
    if getattr(lab, "kinesis", None) is not None:
        # The server would count its per-shard limits in real time here (the experiment's clock
        # lives in its own child), and then the figures would depend on the machine's speed.
        lab.kinesis.enforce_limits = False
    result = run_job(
        lab.folder,
        "lag",
        {
            "stream": lab.stream,
            "seconds": LAG_SECONDS,
            "produce_rate": PRODUCE_RATE,
            "consume_rate": CONSUME_RATE,
            "batch": LAG_BATCH,
        },
        lab.env,
        timeout=CHILD_TIMEOUT,
        capture=True,
        echo=True,
    )
    if lab.failed("lag experiment", [result]):
        return 1
    figures = lag_figures(result.result)
    print()
    for series in lag_series(result.result):
        print(charts.text_chart(series))
    if lab.svg is not None:
        lab.svg.parent.mkdir(parents=True, exist_ok=True)
        lab.svg.write_text(
            charts.svg_chart(lag_series(result.result), "Consumer lag: the lag experiment"), encoding="utf-8"
        )
        print(f"The same charts as a picture: {lab.svg} (open it in a browser).\n")
    print(lag_conclusion(figures))
    return 0


def lag_series(result: dict[str, Any]) -> list[charts.Series]:
    """What the charts show: events behind and MillisBehindLatest at each poll."""
    polls = result["polls"]
    return [
        charts.Series("Events behind (sent but not yet read)", "events", [(p["at"], p["behind"]) for p in polls]),
        charts.Series(
            "MillisBehindLatest (what Kinesis reports)", "ms", [(p["at"], p["millis_behind"]) for p in polls]
        ),
    ]


def lag_figures(result: dict[str, Any]) -> dict[str, float]:
    """The measured figures the conclusion is made of."""
    polls = result["polls"]
    seconds = result["seconds"] or 1.0
    busy = [p for p in polls if p["records"]] or polls or [{"at": 0.0, "behind": 0, "millis_behind": 0, "records": 0}]
    first, last = busy[0], busy[-1]
    # The growth is measured once the consumer is busy all the time (full batches): before that it keeps up.
    full = [p for p in busy if p["records"] >= LAG_BATCH]
    start = full[0] if len(full) >= 2 else first
    span = last["at"] - start["at"]
    return {
        "seconds": seconds,
        "produced": result["produced"],
        "read": result["read"],
        "produce_rate": result["produced"] / (result["produce_seconds"] or 1.0),
        "read_rate": result["read"] / seconds,
        "behind_first": first["behind"],
        "behind_last": last["behind"],
        "millis_first": first["millis_behind"],
        "millis_last": last["millis_behind"],
        "growth": (last["behind"] - start["behind"]) / span if span > 0 else 0.0,
        "behind_end": max(result["produced"] - result["read"], 0),
        "polls": len(polls),
    }


def lag_conclusion(f: dict[str, float]) -> str:
    """The conclusion, every sentence computed from the measured figures."""
    lines = [
        (
            f"While the consumer ran ({f['seconds']:.1f} simulated seconds, {f['polls']:.0f} polls) the producer sent "
            f"{f['produced']:.0f} events ({f['produce_rate']:.0f}/s) and the consumer handled {f['read']:.0f} "
            f"({f['read_rate']:.0f}/s): {f['behind_end']:.0f} were still waiting when it stopped."
        )
    ]
    lines.append(
        f"From the first poll that found records to the last, events behind went from {f['behind_first']:.0f} to "
        f"{f['behind_last']:.0f}, and MillisBehindLatest from {f['millis_first']:.0f} ms to {f['millis_last']:.0f} ms."
    )
    if f["read"] == 0:
        lines.append("The consumer read nothing, so there is no lag to measure: check tasks 7 and 9 (`make check`).")
    elif f["growth"] >= 1:
        lines.append(
            f"Once the consumer was busy all the time, the gap grew by about {f['growth']:.0f} events every second "
            f"(the producer's {f['produce_rate']:.0f}/s against the consumer's {f['read_rate']:.0f}/s) and never "
            "closed on its own:\na consumer slower than its producer falls further behind for as long as that lasts."
        )
    elif f["growth"] <= -1:
        lines.append(f"The gap shrank by about {-f['growth']:.0f} events every second: this consumer catches up.")
    else:
        lines.append("The gap stayed about the same: this consumer kept up with the producer.")
    lines.append(
        f"\nThis is discussion question 2 (discussion.q2 in exercises/checkpoint.md): a consumer handling "
        f"{CONSUME_RATE:g} events/s\nagainst a producer sending {PRODUCE_RATE:g}/s. Extend these figures to a "
        "minute and to an hour, then say\nwhat you could do about it."
    )
    return "\n".join(lines)


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
    parser.add_argument(
        "--code", choices=CODE_FOLDERS, default="exercises", help="whose code to run (default: exercises)"
    )
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
    sys.exit(main())
