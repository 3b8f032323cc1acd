"""Where the experiments run: one Kinesis, the learner's code folder, and the grader's trusted view of the stream.

The Kinesis is the embedded one unless an endpoint names another emulator; children run the
jobs of ``grader.commands.jobs`` on the learner's code against it.
"""

from __future__ import annotations

import os
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader.commands.children import JobResult, learner_output, run_job
from grader.commands.heartbeat import Heartbeat, kinesis_activity
from grader.commands.run import check_folder, embedded_environment, endpoint_environment, report_failure, start_embedded
from grader.kinesis.stream_view import Record, StreamView, encode_event

STREAM = "user-activity"
USERS = ["alice", "bob", "charlie", "diana"]
TYPES = ["login", "view_page", "search", "click_button", "add_to_cart", "logout"]
CHILD_TIMEOUT = 30.0  # seconds; a consumer that never stops is ended and explained


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
            self.stream = STREAM
            self.kinesis = start_embedded()
            self.env = embedded_environment(self.kinesis.client_environment())
            self.client = self.kinesis.client()
            self.view = StreamView(self.kinesis)

    def activity(self) -> Any:
        """What the heartbeat lines tell of the Kinesis (the embedded one only: its calls)."""
        return kinesis_activity(self.kinesis) if self.kinesis is not None and self.kinesis.enforce_limits else None

    def run_parallel(self, job: str, args_list: list[dict[str, Any]], label: str) -> list[JobResult]:
        """Start one child per argument set at the same time and wait for all; while they run,
        a heartbeat line says how far they are (their output is shown afterwards)."""
        with Heartbeat(label, self.activity()) as heartbeat, ThreadPoolExecutor(max_workers=len(args_list)) as pool:
            futures = [
                pool.submit(
                    run_job, self.folder, job, args, self.env, timeout=CHILD_TIMEOUT, heartbeat=heartbeat
                )
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
