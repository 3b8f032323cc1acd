"""The embedded Kinesis, not the learner's process, owns each run's clock and budgets, and its
HTTP front answers every unexpected error itself.

Requests here are raw HTTP, as learner code that took the clock's wrapper out of botocore's
send would make them: the clock header is whatever the caller writes.
"""

from __future__ import annotations

import http.client
import json
import socket

from grader.kinesis.server import EmbeddedKinesis
from grader.kinesis.stream_view import StreamView
from tests.selftest import test_limits

SHARD = "shardId-000000000000"
server, kinesis = test_limits.server, test_limits.kinesis  # the same embedded Kinesis, emptied for each test


class Raw:
    """One connection to the server, sending Kinesis calls with a hand-written clock header."""

    def __init__(self, kinesis: EmbeddedKinesis) -> None:
        host, port = kinesis.endpoint_url.rsplit("/", 1)[1].split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=10)

    def call(self, operation: str, body: dict, clock: str | None = None) -> tuple[int, dict, str]:
        headers = {"X-Amz-Target": f"Kinesis_20131202.{operation}", "Content-Type": "application/x-amz-json-1.1"}
        if clock is not None:
            headers["X-Grader-Clock"] = clock
        self.connection.request("POST", "/", json.dumps(body), headers)
        response = self.connection.getresponse()
        payload = json.loads(response.read() or b"{}")
        return response.status, payload, response.headers.get("X-Grader-Clock", "")


def _iterator(kinesis: EmbeddedKinesis, stream: str) -> str:
    return kinesis.client().get_shard_iterator(StreamName=stream, ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]


def test_a_clock_belongs_to_its_connection_not_to_the_number_in_the_header(kinesis):
    stream = StreamView(kinesis).create(1)
    ahead, other = Raw(kinesis), Raw(kinesis)
    ahead.call("DescribeStreamSummary", {"StreamName": stream}, "4242 10.0")
    _, _, time_of_other = other.call("DescribeStreamSummary", {"StreamName": stream}, "4242 0.0")
    assert float(time_of_other) < 1.0  # the same number in the header is not the same clock


def test_bypassing_the_wrapper_does_not_dodge_the_call_budget(kinesis):
    stream = StreamView(kinesis).create(1)
    position = _iterator(kinesis, stream)
    kinesis.new_run(seconds_budget=30.0, http_budget=50)
    raw = Raw(kinesis)
    answers = [raw.call("GetRecords", {"ShardIterator": position}, f"1 {n * 0.01:.6f}") for n in range(60)]
    refused = [payload["__type"] for status, payload, _ in answers if status != 200]
    assert refused[-10:] == ["LimitExceededException"] * 10  # the 51st call and every one after it
    assert kinesis.run_verdict() == "it made more than 50 calls to Kinesis"


def test_time_claimed_in_the_header_is_spent_from_the_runs_budget(kinesis):
    stream = StreamView(kinesis).create(1)
    kinesis.new_run(seconds_budget=30.0, http_budget=600)
    raw = Raw(kinesis)
    assert raw.call("DescribeStreamSummary", {"StreamName": stream}, "1 29.0")[0] == 200
    status, payload, _ = raw.call("DescribeStreamSummary", {"StreamName": stream}, "1 31.0")
    assert (status, payload["__type"]) == (400, "LimitExceededException")
    assert kinesis.run_verdict().startswith("it was still running after 30 simulated seconds")
    kinesis.new_run(seconds_budget=30.0, http_budget=600)  # the next run starts with its whole budget
    assert kinesis.run_verdict() == "" and Raw(kinesis).call("ListStreams", {}, "1 0")[0] == 200


def test_a_connection_of_an_ended_run_is_refused(kinesis):
    raw = Raw(kinesis)
    assert raw.call("ListStreams", {}, "1 0")[0] == 200
    kinesis.new_run()
    status, payload, _ = raw.call("ListStreams", {}, "1 0")
    assert (status, payload["__type"]) == (400, "ExpiredRunException")


def test_unexpected_errors_are_answered_and_never_printed(kinesis, capfd):
    def broken(operation, body):
        raise RuntimeError("\x1b]0;learner bytes\x07 in a traceback")

    kinesis.fault_plan = broken
    errors = kinesis.unexpected_errors
    try:
        status, payload, _ = Raw(kinesis).call("ListStreams", {}, "1 0")
    finally:
        kinesis.fault_plan = None
    assert (status, payload["__type"]) == (500, "InternalFailure")
    host, port = kinesis.endpoint_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"POST / HTTP/1.1\r\nContent-Length: \x1b[2Jnot a number\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"\x1b[2J" * 40000 + b"\r\n\r\n")  # a request line far too long: the server's own refusal
        raw.recv(100)
    assert kinesis.unexpected_errors >= errors + 1  # counted (a reset connection counts too)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_unix_socket_serves_the_same_kinesis(kinesis, tmp_path):
    path = tmp_path / "kinesis.sock"
    kinesis.listen_unix(str(path))
    stream = StreamView(kinesis).create(1)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
        raw.connect(str(path))
        body = json.dumps({"StreamName": stream}).encode()
        raw.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.DescribeStreamSummary\r\n"
             b"X-Grader-Clock: 1 0\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        answer = b""
        while stream.encode() not in answer and len(answer) < 65536:
            chunk = raw.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and stream.encode() in answer
