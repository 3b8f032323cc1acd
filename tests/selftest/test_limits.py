"""The embedded Kinesis enforces AWS's limits (one test per row of the README's fidelity
table), the code that breaks a limit loses points on its own task, and the reference runs
unchanged against kinesalite, a second emulator.

The rule tests talk to the server through boto3 with a hand-set ``X-Grader-Clock``, as a
sandboxed run does, so they control simulated time exactly and need no worker.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from grader.kinesis import limits
from grader.kinesis.faults import Shape, installed
from grader.kinesis.server import REGION, EmbeddedKinesis
from grader.kinesis.stream_view import StreamView
from tests.mutants.model import READING, C, P, m
from tests.mutants.table import grade_mutants, verdict

ROOT = Path(__file__).resolve().parents[2]
SHARD = "shardId-000000000000"


class Caller:
    """A client whose every request says it is sent at ``self.now`` simulated seconds."""

    def __init__(self, kinesis: EmbeddedKinesis, pid: str = "4242") -> None:
        self.now = 0.0
        self.client = boto3.client(
            "kinesis",
            endpoint_url=kinesis.endpoint_url,
            region_name=REGION,
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        self.client.meta.events.register("before-send.kinesis", self._stamp)
        self.pid = pid

    def _stamp(self, request, **_):
        request.headers["X-Grader-Clock"] = f"{self.pid} {self.now:.6f}"

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture(scope="module")
def server():
    with EmbeddedKinesis() as kinesis:
        yield kinesis


@pytest.fixture()
def kinesis(server):
    server.reset()
    return server


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def iterator(caller, name, shard=SHARD):
    return caller.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]


def test_five_reads_a_second_per_shard_shared_by_all_readers(kinesis):
    name = StreamView(kinesis).create(1)
    first, second = Caller(kinesis, "1"), Caller(kinesis, "2")
    position = iterator(first, name)
    for _ in range(3):
        first.get_records(ShardIterator=position)
    for _ in range(2):
        second.get_records(ShardIterator=position)
    code, message = error_of(second.get_records, ShardIterator=position)
    assert code == "ProvisionedThroughputExceededException" and "Rate exceeded for Shard" in message
    second.now = first.now = 0.21  # one read's worth of time later, the shard serves one more
    first.get_records(ShardIterator=position)
    assert error_of(second.get_records, ShardIterator=position)[0] == "ProvisionedThroughputExceededException"


def test_two_mib_a_second_out_per_shard(kinesis):
    view = StreamView(kinesis)
    name = view.create(1)
    view.put(name, [("k", {"note": "x" * 600_000}) for _ in range(4)])  # 2.4 MB
    caller = Caller(kinesis)
    caller.get_records(ShardIterator=iterator(caller, name))
    assert (
        error_of(caller.get_records, ShardIterator=iterator(caller, name))[0]
        == "ProvisionedThroughputExceededException"
    )
    caller.now = 0.3
    caller.get_records(ShardIterator=iterator(caller, name), Limit=1)


def test_a_thousand_records_a_second_in_per_shard_refused_entries_in_place(kinesis):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    entries = [{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)]
    assert caller.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    assert caller.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    answer = caller.put_records(StreamName=name, Records=entries)  # 10 ms later: room for 10 more
    failed = answer["FailedRecordCount"]
    assert 480 <= failed < 500 and all("ErrorCode" in r for r in answer["Records"][-failed:])
    assert {r["ErrorCode"] for r in answer["Records"] if "ErrorCode" in r} == {"ProvisionedThroughputExceededException"}
    assert len(StreamView(kinesis).all_records(name)) == 1500 - failed  # refused entries are not stored
    caller.now = 0.6
    assert caller.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0


def test_one_mib_a_second_in_per_shard(kinesis):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    big = b"x" * 400_000
    caller.put_record(StreamName=name, Data=big, PartitionKey="k")
    caller.put_record(StreamName=name, Data=big, PartitionKey="k")
    assert (
        error_of(caller.put_record, StreamName=name, Data=big, PartitionKey="k")[0]
        == "ProvisionedThroughputExceededException"
    )
    caller.now = 0.4
    caller.put_record(StreamName=name, Data=big, PartitionKey="k")


@pytest.mark.parametrize("limit, ok", [(10_000, True), (10_001, False), (20_000, False)])
def test_get_records_limit_is_1_to_10000(kinesis, limit, ok):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    if ok:
        caller.get_records(ShardIterator=iterator(caller, name), Limit=limit)
    else:
        code, message = error_of(caller.get_records, ShardIterator=iterator(caller, name), Limit=limit)
        assert code == "ValidationException" and f"Value '{limit}' at 'limit'" in message


def test_put_records_at_most_500_entries_and_5_mib(kinesis):
    name = StreamView(kinesis).create(4)
    caller = Caller(kinesis)
    code, _ = error_of(caller.put_records, StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert code == "ValidationException"
    six = [{"Data": b"x" * 1_000_000, "PartitionKey": f"k{i}"} for i in range(6)]
    assert error_of(caller.put_records, StreamName=name, Records=six) == (
        "InvalidArgumentException",
        "Records size exceeds 5 MB limit",
    )


def test_record_of_at_most_1_mib_with_its_key(kinesis):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    assert (
        error_of(caller.put_record, StreamName=name, Data=b"x" * (limits.MiB + 1), PartitionKey="k")[0]
        == "ValidationException"
    )
    assert (
        error_of(caller.put_record, StreamName=name, Data=b"x" * limits.MiB, PartitionKey="k")[0]
        == "InvalidArgumentException"
    )
    caller.put_record(StreamName=name, Data=b"x" * (limits.MiB - 1), PartitionKey="k")


def test_partition_key_of_1_to_256_characters(kinesis):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    caller.put_record(StreamName=name, Data=b"x", PartitionKey="é" * 256)
    code, message = error_of(caller.put_record, StreamName=name, Data=b"x", PartitionKey="é" * 257)
    assert code == "ValidationException" and "partitionKey" in message


def test_iterators_expire_after_five_minutes(kinesis):
    view = StreamView(kinesis)
    name = view.create(1)
    view.put(name, [("k", {"n": 1})])
    caller = Caller(kinesis)
    position = iterator(caller, name)
    caller.now = 299.0
    following = caller.get_records(ShardIterator=position)["NextShardIterator"]
    caller.now = 301.0
    code, message = error_of(caller.get_records, ShardIterator=position)
    assert code == "ExpiredIteratorException" and "300000 milliseconds" in message
    caller.get_records(ShardIterator=following)  # handed out at 299 s: still good


def test_account_shard_quota_refuses_before_moto_allocates(kinesis, monkeypatch):
    from moto.kinesis.models import KinesisBackend

    created: list[str] = []
    create_stream = KinesisBackend.create_stream

    def recorded(self, stream_name, *args, **kwargs):
        created.append(stream_name)
        return create_stream(self, stream_name, *args, **kwargs)

    monkeypatch.setattr(KinesisBackend, "create_stream", recorded)
    caller = Caller(kinesis)
    code, message = error_of(caller.create_stream, StreamName="huge", ShardCount=200_000)
    assert code == "LimitExceededException" and f"Limit: {limits.ACCOUNT_SHARD_QUOTA}" in message
    assert "huge" not in created and not StreamView(kinesis).exists("huge")  # moto never made its 200,000 shards
    caller.create_stream(StreamName="fits", ShardCount=limits.ACCOUNT_SHARD_QUOTA)
    assert created == ["fits"]  # what is allowed does reach moto
    assert error_of(caller.create_stream, StreamName="one-more", ShardCount=1)[0] == "LimitExceededException"


def test_describe_stream_pages_of_100_shards(kinesis):
    name = StreamView(kinesis).create(250)
    caller = Caller(kinesis)
    pages, after = [], None
    while True:
        kwargs = {"ExclusiveStartShardId": after} if after else {}
        description = caller.describe_stream(StreamName=name, **kwargs)["StreamDescription"]
        pages.append(len(description["Shards"]))
        if not description["HasMoreShards"]:
            break
        after = description["Shards"][-1]["ShardId"]
    assert pages == [100, 100, 50]
    assert len(caller.describe_stream(StreamName=name, Limit=7)["StreamDescription"]["Shards"]) == 7


def test_list_shards_pages_with_a_next_token_that_works(kinesis):
    name = StreamView(kinesis).create(25)
    caller = Caller(kinesis)
    page = caller.list_shards(StreamName=name, MaxResults=10)
    ids = [s["ShardId"] for s in page["Shards"]]
    while page.get("NextToken"):
        page = caller.list_shards(NextToken=page["NextToken"], MaxResults=10)
        ids += [s["ShardId"] for s in page["Shards"]]
    assert ids == [shard_id for shard_id, _, _ in StreamView(kinesis).shard_ranges(name)]
    assert error_of(caller.list_shards, StreamName=name, NextToken="x")[0] == "InvalidArgumentException"
    assert "NextToken" not in caller.list_shards(StreamName=name)  # up to 1,000 shards on one page


def test_list_shards_pages_may_be_shorter_than_asked_and_the_paginator_form_is_refused(kinesis):
    name = StreamView(kinesis).create(7)
    caller = Caller(kinesis)
    with installed(kinesis, Shape(shards_per_page=3)):
        page = caller.list_shards(StreamName=name, MaxResults=100)
        sizes, ids = [len(page["Shards"])], [s["ShardId"] for s in page["Shards"]]
        while page.get("NextToken"):
            page = caller.list_shards(NextToken=page["NextToken"])
            sizes.append(len(page["Shards"]))
            ids += [s["ShardId"] for s in page["Shards"]]
        assert sizes == [3, 3, 1] and len(set(ids)) == 7
        assert len(caller.describe_stream(StreamName=name)["StreamDescription"]["Shards"]) == 3
        # boto3's paginator sends the first call's StreamName again with each NextToken: AWS refuses that.
        paginator = caller.client.get_paginator("list_shards")
        with pytest.raises(ClientError, match="InvalidArgumentException"):
            list(paginator.paginate(StreamName=name))
        token = caller.list_shards(StreamName=name)["NextToken"]
        assert (
            error_of(caller.list_shards, NextToken=token, ExclusiveStartShardId=SHARD)[0] == "InvalidArgumentException"
        )
    assert "NextToken" not in caller.list_shards(StreamName=name)  # the usual pages again: up to 1,000 shards


def test_list_shards_shard_filter_as_documented(kinesis):
    view = StreamView(kinesis)
    name = view.create(2)
    children = view.split_keeping_records(name, SHARD)
    caller = Caller(kinesis)

    def listed(**shard_filter):
        return [s["ShardId"] for s in caller.list_shards(StreamName=name, ShardFilter=shard_filter)["Shards"]]

    every = [SHARD, "shardId-000000000001", *children]
    assert (
        listed(Type="FROM_TRIM_HORIZON")
        == every
        == [s["ShardId"] for s in caller.list_shards(StreamName=name)["Shards"]]
    )
    assert listed(Type="AT_LATEST") == every[1:]  # the closed parent left out
    assert listed(Type="AT_TRIM_HORIZON") == every[:2]  # open at the oldest record: not the children
    assert listed(Type="AFTER_SHARD_ID", ShardId=SHARD) == every[1:]
    assert listed(Type="FROM_TIMESTAMP", Timestamp=0) == every
    assert error_of(caller.list_shards, StreamName=name, ShardFilter={"Type": "AT_NOON"})[0] == "ValidationException"
    assert error_of(caller.list_shards, StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID"})[0] == (
        "InvalidArgumentException"
    )
    with installed(kinesis, Shape(shards_per_page=1)):  # the filter holds over every page
        page = caller.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})
        ids = [s["ShardId"] for s in page["Shards"]]
        while page.get("NextToken"):
            page = caller.list_shards(NextToken=page["NextToken"])
            ids += [s["ShardId"] for s in page["Shards"]]
    assert ids == every[1:]


def test_creating_lasts_as_long_as_a_check_says(kinesis):
    caller = Caller(kinesis)
    with installed(kinesis, Shape(creating_seconds=60)):
        caller.create_stream(StreamName="slow", ShardCount=1)
    for second in (1, 10, 30, 59.9):
        caller.now = second
        status = caller.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"]["StreamStatus"]
        assert status == "CREATING", second
    caller.now = 60.1
    assert caller.describe_stream(StreamName="slow")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    assert kinesis.rules.creating_seconds == limits.CREATING_SECONDS  # back to the usual once the check is over


def test_new_streams_are_creating_and_resharding_is_updating(kinesis):
    caller = Caller(kinesis)
    caller.create_stream(StreamName="new", ShardCount=1)
    assert caller.describe_stream_summary(StreamName="new")["StreamDescriptionSummary"]["StreamStatus"] == "CREATING"
    assert error_of(caller.put_record, StreamName="new", Data=b"x", PartitionKey="k")[0] == "ResourceNotFoundException"
    caller.now = limits.CREATING_SECONDS + 0.1
    assert caller.describe_stream(StreamName="new")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    caller.update_shard_count(StreamName="new", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert caller.describe_stream(StreamName="new")["StreamDescription"]["StreamStatus"] == "UPDATING"
    caller.put_record(StreamName="new", Data=b"x", PartitionKey="k")  # writes go on while UPDATING
    assert (
        error_of(caller.update_shard_count, StreamName="new", TargetShardCount=4, ScalingType="UNIFORM_SCALING")[0]
        == "ResourceInUseException"
    )


def test_the_clock_never_runs_back_and_a_new_run_restarts_it(kinesis):
    name = StreamView(kinesis).create(1)
    caller = Caller(kinesis)
    position = iterator(caller, name)
    for _ in range(4):
        caller.get_records(ShardIterator=position)
    caller.now = 5.0
    caller.get_records(ShardIterator=position)  # 5 s later: room again
    caller.now = 0.0  # claiming to be back at 0 s gains nothing: reads are still 5 ms apart
    for _ in range(4):
        caller.get_records(ShardIterator=position)
    assert error_of(caller.get_records, ShardIterator=position)[0] == "ProvisionedThroughputExceededException"
    kinesis.new_run()
    # A connection of the run that ended is refused: nothing it queued is served in the next run.
    assert error_of(caller.get_records, ShardIterator=position)[0] == "ExpiredRunException"
    Caller(kinesis).get_records(ShardIterator=position)  # the new run's own process: a fresh clock at 0


def test_the_graders_own_access_is_never_limited(kinesis):
    name = StreamView(kinesis).create(1)
    trusted = kinesis.client()
    position = trusted.get_shard_iterator(StreamName=name, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    for _ in range(20):
        trusted.get_records(ShardIterator=position)
    StreamView(kinesis).put(name, [("k", {"n": n}) for n in range(3000)])  # far above 1,000 a second


# Mistakes that would fail on AWS, each costing points on the task whose contract it breaks.
LIMIT_MUTANTS = [
    m(
        "limit_above_10000",
        "consumer.read_shard",
        (
            C,
            "            limit = 1000 if max_events is None else max(1, min(1000, max_events - read))\n",
            "            limit = 20000 if max_events is None else max(1, min(1000, max_events - read))\n",
        ),
        also=READING,
    ),
    m("polls_again_at_once", "consumer.stopping", (C, "                time.sleep(self.poll_interval)\n", "")),
    m(
        "stats_first_page_only",
        "producer.stats",
        (P, '        while page.get("HasMoreShards") and page["Shards"]:', "        while False:"),
    ),
    m(
        "reads_unpaced",
        "consumer.read_shard",
        (C, "                time.sleep(wait)\n", "                pass\n"),
        survives="botocore retries a throttled read by itself, and the reference retries after that",
    ),
]


@pytest.fixture(scope="module")
def mutant_reports():
    """Every limit mutant graded once (a producer and a consumer mutant per grading)."""
    return grade_mutants(LIMIT_MUTANTS)[0]


@pytest.mark.parametrize("mutant", LIMIT_MUTANTS, ids=lambda mutant: mutant.id)
def test_limit_mistakes_lose_points_on_their_own_task(mutant_reports, mutant):
    row = verdict(mutant, mutant_reports[mutant.id])
    assert (row["lost"] == 0) if mutant.survives else (row["lost"] > 0), row
    assert set(row["changed"]) == set(mutant.also), row


KINESALITE = ROOT / ".kinesalite" / "node_modules" / ".bin" / "kinesalite"


def test_the_reference_runs_against_kinesalite(tmp_path):
    if not KINESALITE.exists() or shutil.which("node") is None:
        pytest.skip(f"kinesalite is not installed ({KINESALITE}): `make kinesalite` installs it with npm")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(KINESALITE), "--port", str(port), "--createStreamMs", "50"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and server.poll() is None, "kinesalite did not start"
            time.sleep(0.1)
        # A copy of the project whose exercises/ is the reference (make run runs exercises/).
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "solutions", tmp_path / "exercises", ignore=skip)
        shutil.copytree(ROOT / "grader", tmp_path / "grader", ignore=skip)
        for name in ("Makefile", "requirements.lock"):  # copy2 keeps their times: .venv counts as up to date
            shutil.copy2(ROOT / name, tmp_path / name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            [
                "make",
                "--no-print-directory",
                "run",
                f"ENDPOINT=http://127.0.0.1:{port}",
                f"VENV={ROOT / '.venv'}",
                f"STAMP={ROOT / '.venv' / '.installed'}",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "Producer and consumer both finished" in done.stdout
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
