"""An embedded Kinesis endpoint: moto's Kinesis backend served over HTTP on loopback.

Learner code runs in other processes and reaches it like real AWS, through boto3 and an
endpoint URL. It is a lean HTTP front instead of moto's Flask server: about 3 ms a call
instead of about 10, which matters when hypothesis sends hundreds of calls per grading.
Only Kinesis is served, only on 127.0.0.1, and moto's control API (reset, state) is not
exposed, so learner code cannot wipe or rewrite what the grader later inspects.

It enforces what AWS enforces and moto does not (``grader.kinesis.rules``: per-shard
rates, request limits, iterator lifetimes, CREATING/UPDATING, pages), counted on the
simulated clock of the learner's run. The grader's own access (``StreamView``, which works
on moto's storage, and ``client()``, which carries a secret header) is never limited.

Faults are injected here, at the HTTP layer, the way AWS produces them (see ``FaultPlan``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from grader.kinesis.rules import CLOCK_HEADER, Rules
from grader.kinesis.runs import RunLedger

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
MAX_BODY_BYTES = 16 * 1024 * 1024  # far above Kinesis's 5 MiB PutRecords limit
TRUSTED_HEADER = "X-Grader-Trusted"


@dataclass(frozen=True)
class Fault:
    """An error response to send instead of calling moto."""

    status: int
    code: str
    message: str = "injected by the grader"


# Decides, for one request, whether to fail it: (operation, request body) -> Fault or None.
FaultPlan = Callable[[str, dict[str, Any]], "Fault | None"]
# Rewrites a successful response: (operation, request body, response body) -> response body.
ResponseRewriter = Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]]


def endpoint_environment(url: str, region: str = REGION) -> dict[str, str]:
    """Environment variables that point boto3 at the Kinesis endpoint ``url`` with fake
    credentials, and never at the machine's real AWS configuration or credentials."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": url,
        "AWS_ENDPOINT_URL_KINESIS": url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def preload() -> None:
    """Import moto's Kinesis now (about a second), e.g. before a fork that would import it again."""
    import moto.kinesis.models  # noqa: F401
    import moto.kinesis.responses  # noqa: F401


# One call of each operation learner code and the checks make most. The first call of each
# loads what moto and botocore load late (service model, serializers): about 0.3 CPU-s.
_WARM_UP_STREAM = "warm-up"
_WARM_UP_CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("CreateStream", {"StreamName": _WARM_UP_STREAM, "ShardCount": 1}),
    ("DescribeStreamSummary", {"StreamName": _WARM_UP_STREAM}),
    ("DescribeStream", {"StreamName": _WARM_UP_STREAM}),
    ("ListStreams", {}),
    ("ListShards", {"StreamName": _WARM_UP_STREAM}),
    ("PutRecord", {"StreamName": _WARM_UP_STREAM, "Data": "e30=", "PartitionKey": "k"}),
    ("PutRecords", {"StreamName": _WARM_UP_STREAM, "Records": [{"Data": "e30=", "PartitionKey": "k"}]}),
    (
        "GetShardIterator",
        {"StreamName": _WARM_UP_STREAM, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"},
    ),
)


def warm_up() -> None:
    """Serve the common calls once on a throwaway Kinesis, so a process forked afterwards has
    moto's and the rules' late-loaded parts already (each part would load them again).

    They are sent as a learner's calls (the rules refuse some while the stream is CREATING),
    then as the grader's own, which moto serves whole."""
    import http.client
    import urllib.parse

    with EmbeddedKinesis() as kinesis:
        kinesis.new_run()
        address = urllib.parse.urlsplit(kinesis.endpoint_url)
        for headers in ({}, {TRUSTED_HEADER: kinesis._trusted_token}):
            connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
            try:
                reply: Any = {}
                for operation, body in _WARM_UP_CALLS:
                    target = {"X-Amz-Target": f"Kinesis_20131202.{operation}", **headers}
                    connection.request("POST", "/", json.dumps(body), target)
                    reply = json.loads(connection.getresponse().read() or b"{}")
                iterator = reply.get("ShardIterator") if isinstance(reply, dict) else None
                if iterator:
                    target = {"X-Amz-Target": "Kinesis_20131202.GetRecords", **headers}
                    connection.request("POST", "/", json.dumps({"ShardIterator": iterator}), target)
                    connection.getresponse().read()
            finally:
                connection.close()
            kinesis.reset()


class EmbeddedKinesis:
    """A Kinesis endpoint on 127.0.0.1, backed by moto, started and stopped by the grader."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # moto's backend is not written for concurrent requests: serialise them.
        self.lock = threading.Lock()
        self.fault_plan: FaultPlan | None = None
        self.rewriter: ResponseRewriter | None = None
        self.rules = Rules(self.backend)
        self.enforce_limits = True
        self.runs = RunLedger()
        self._unix_servers: list[_QuietUnixServer] = []
        self._trusted_token = secrets.token_hex(16)  # never in the learner's environment

    @property
    def endpoint_url(self) -> str:
        """The URL clients pass as ``endpoint_url``."""
        assert self._server is not None, "EmbeddedKinesis is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedKinesis:
        """Start serving on a free loopback port in a daemon thread."""
        for name, value in FAKE_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        from moto.kinesis.models import kinesis_backends
        from moto.kinesis.responses import KinesisResponse  # imported late: it is slow

        kinesis_backends.reset()  # moto keeps state per process: every session starts empty

        handler = _make_handler(self, KinesisResponse)
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.ledger = self.runs
        # A short poll: stop() waits for it, and the default half second is paid by every grading.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="embedded-kinesis", daemon=True)
        self._thread.start()
        return self

    def listen_unix(self, path: str) -> None:
        """Serve on the unix socket ``path`` too (a worker's bridge, from inside its network namespace).

        Its connections are learner connections like those on the TCP port: each belongs to
        the run during which it was accepted and has its own clock."""
        handler = self._server.RequestHandlerClass if self._server is not None else None
        assert handler is not None, "EmbeddedKinesis is not started"
        folder = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:  # bound through its folder's descriptor: a unix socket's path may have 107 bytes at most
            unix = _QuietUnixServer(f"/proc/self/fd/{folder}/{os.path.basename(path)}", handler)
        finally:
            os.close(folder)
        unix.ledger = self.runs
        self._unix_servers.append(unix)
        serve = functools.partial(unix.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, name="embedded-kinesis-unix", daemon=True).start()

    def stop(self) -> None:
        """Stop serving and free the port (and the unix sockets)."""
        for server in [self._server, *self._unix_servers]:
            if server is not None:
                server.shutdown()
                server.server_close()
        self._server = None
        self._unix_servers = []

    def reset(self) -> None:
        """Forget every stream (between tests: no learner code runs then)."""
        from moto.kinesis.models import kinesis_backends

        with self.lock:
            kinesis_backends.reset()
            self.rules.new_run()

    def new_run(self, seconds_budget: float = float("inf"), http_budget: float = float("inf")) -> None:
        """A learner run begins: its clock starts at 0, with every rate budget full, and it may
        spend ``seconds_budget`` simulated seconds and ``http_budget`` calls (the server counts them).

        Connections of earlier runs are refused from now on, and those still waiting to be
        accepted are dropped: no request of a stopped run is served in this one."""
        with self.lock:
            listeners = [server for server in [self._server, *self._unix_servers] if server is not None]
            _drop_waiting(listeners, lambda: self.runs.start(seconds_budget, http_budget))
            self.rules.new_run()

    def run_verdict(self, timed_out: bool = False) -> str:
        """Why the current run went over a budget the server keeps, or "". A run stopped at its
        real-time limit while it was still calling Kinesis counts as one that never finished,
        not as one that hung: it was working, only slower than the machine allowed."""
        over = self.runs.verdict()
        if over or not timed_out or not self.runs.busy():
            return over
        return "it was still calling Kinesis when its real time ran out"

    @property
    def unexpected_errors(self) -> int:
        """How many requests failed inside the server (answered with a 500, never printed)."""
        return self._server.errors if self._server is not None else 0

    def backend(self) -> Any:
        """moto's Kinesis storage behind this endpoint (callers hold ``lock`` while using it)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.kinesis.models import kinesis_backends

        return kinesis_backends[DEFAULT_ACCOUNT_ID][REGION]

    def client_environment(self) -> dict[str, str]:
        """Environment variables that point boto3 (and only boto3's Kinesis) here."""
        return endpoint_environment(self.endpoint_url)

    def client(self) -> Any:
        """A boto3 Kinesis client of the trusted side, with botocore's retries off."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "kinesis",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

        def mark_trusted(request: Any, **_: Any) -> None:
            request.headers[TRUSTED_HEADER] = self._trusted_token

        client.meta.events.register("before-send.kinesis", mark_trusted)
        return client

    def __enter__(self) -> EmbeddedKinesis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _RunListener:
    """What both listeners of one embedded Kinesis do: stay quiet, tag each connection with its
    run, and drop connections a stopped run left waiting."""

    daemon_threads = True
    block_on_close = False
    ledger: RunLedger
    socket: socket.socket
    errors = 0
    accepting: threading.Lock

    def server_activate(self) -> None:
        super().server_activate()  # type: ignore[misc]
        self.accepting = threading.Lock()
        self.socket.setblocking(False)  # accept never blocks: ``_drop_waiting`` may have emptied the queue

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection; its address carries the run it belongs to and its clock's key."""
        with self.accepting:
            connection, address = self.socket.accept()
            generation, key = self.ledger.accepted()
        connection.setblocking(True)
        return connection, (address, generation, key)

    def drop_queued(self) -> None:
        """Close every connection still waiting to be accepted (the caller holds ``accepting``)."""
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            connection.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An error outside a request (a connection reset, a malformed request line): counted, never printed."""
        self.errors += 1


class _QuietServer(_RunListener, ThreadingHTTPServer):
    """The TCP listener on 127.0.0.1."""


class _QuietUnixServer(_RunListener, socketserver.ThreadingUnixStreamServer):
    """The unix socket listener a worker's bridge connects to."""


def _drop_waiting(listeners: list[_RunListener], then: Callable[[], None]) -> None:
    """Close every connection still waiting to be accepted (made by a run that has ended), then
    call ``then`` before any other connection is accepted."""
    with contextlib.ExitStack() as held:
        for listener in listeners:
            held.enter_context(listener.accepting)
            listener.drop_queued()
        then()


def _memoize_moto_method_names() -> None:
    """Have moto list a response class's methods once, not on every call.

    moto looks the action up among the response class's methods with ``inspect.getmembers``
    on every request: about 8 % of what a call costs the server, the same answer each time (a
    class's methods do not change while grading). Cached per class, for every server of this
    process and the processes forked from it.
    """
    import moto.core.responses

    listing = moto.core.responses.method_names_from_class
    if not hasattr(listing, "cache_info"):
        moto.core.responses.method_names_from_class = functools.cache(listing)


def _make_handler(kinesis: EmbeddedKinesis, response_class: Any) -> type[BaseHTTPRequestHandler]:
    """Build the request handler class bound to one ``EmbeddedKinesis``."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.request import normalize_request

    _memoize_moto_method_names()

    aws_url = f"https://kinesis.{REGION}.amazonaws.com/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # without it each response waits ~40 ms for an ACK

        def setup(self) -> None:
            self.disable_nagle_algorithm = self.request.family != socket.AF_UNIX  # a TCP option
            super().setup()
            _, self.generation, self.clock_key = self.client_address

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            """Stay quiet: requests are not news."""

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            """Serve one Kinesis JSON API call; an unexpected error is answered here, never printed."""
            try:
                self._serve()
            except Exception:  # noqa: BLE001 - learner bytes may be in it: count it, answer 500, print nothing
                self.server.errors += 1  # type: ignore[attr-defined]  # one per request, under the lock
                self.close_connection = True
                try:
                    self._reply(500, {"__type": "InternalFailure", "message": "the embedded Kinesis failed"})
                except OSError:
                    pass

        def _serve(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self.close_connection = True
                self._reply(400, {"__type": "SerializationException", "message": "bad Content-Length"})
                return
            if self.path != "/" or length > MAX_BODY_BYTES:
                self._reply(404 if self.path != "/" else 413, {"message": "not served here"})
                return
            body = self.rfile.read(length)
            operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
            try:
                request_json = json.loads(body or b"{}")
            except ValueError:
                request_json = {}
            if not isinstance(request_json, dict):
                request_json = {}
            trusted = self.headers.get(TRUSTED_HEADER) == kinesis._trusted_token
            with kinesis.lock:
                if not trusted and not kinesis.runs.current(self.generation):
                    self.close_connection = True
                    self._reply(400, {"__type": "ExpiredRunException", "message": "this run has ended"})
                    return
                rules = kinesis.rules if kinesis.enforce_limits and not trusted else None
                now = rules.clock(self._clock_header()) if rules is not None else 0.0
                clock = {CLOCK_HEADER: f"{now:.6f}"} if rules is not None else {}
                over = "" if trusted else kinesis.runs.charge(now if self._clock_header() else None)
                if over:
                    self._reply(400, {"__type": "LimitExceededException", "message": f"run stopped: {over}"}, clock)
                    return
                refusal = rules.admit(operation, request_json, now) if rules is not None else None
                if refusal is not None:
                    self._reply(refusal.status, {"__type": refusal.code, "message": refusal.message}, clock)
                    return
                fault = kinesis.fault_plan(operation, request_json) if kinesis.fault_plan else None
                if fault is not None:
                    self._reply(fault.status, {"__type": fault.code, "message": fault.message}, clock)
                    return

                def call_moto(changed: dict[str, Any] | None) -> tuple[int, dict[str, str], Any]:
                    sent = body if changed is None else json.dumps(changed).encode()
                    headers = HTTPHeaders()
                    for key, value in self.headers.items():
                        if key.lower() != "content-length":
                            headers[key] = value
                    headers["Content-Length"] = str(len(sent))
                    request = normalize_request(
                        AWSPreparedRequest(method="POST", url=aws_url, headers=headers, body=sent, stream_output=False)
                    )
                    return response_class.dispatch(request, aws_url, headers)

                if rules is not None:
                    status, response_headers, out = rules.serve(operation, request_json, now, call_moto)
                else:
                    status, response_headers, out = call_moto(None)
                if kinesis.rewriter is not None and status == 200:
                    out = json.dumps(kinesis.rewriter(operation, request_json, json.loads(out or b"{}")))
            content_type = response_headers.get("Content-Type", "application/x-amz-json-1.1")
            self._send(status, content_type, out, clock)

        def _clock_header(self) -> str | None:
            """The clock header as the rules read it, keyed by this connection, never by what the
            caller wrote (only the time it reports is taken from it)."""
            header = self.headers.get(CLOCK_HEADER)
            if header is None:
                return None
            return f"{self.clock_key} {header.strip().rpartition(' ')[2]}"

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            """Refuse everything but Kinesis calls (moto's control API included)."""
            self._reply(404, {"message": "not served here"})

        def _reply(self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None) -> None:
            self._send(status, "application/x-amz-json-1.1", json.dumps(payload), extra)

        def _send(self, status: int, content_type: str, out: str | bytes, extra: dict[str, str] | None = None) -> None:
            data = out.encode() if isinstance(out, str) else out
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
