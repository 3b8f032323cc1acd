"""The contract between the trusted runner and the worker: every message, key and variable they share.

``runner.Sandbox`` starts the worker (``python -I zygote.py <exercises>``) with pipes on its
stdin and stdout and with ``worker_variables`` in its environment: the token that marks every
process started for one Sandbox, the worker's own folder and the ``Plan`` (what isolation it
sets up, from ``isolation.isolation``). Then, one JSON object a line:

1. runner -> worker, once, when the grader's Kinesis is up: ``environment_request``, the
   variables learner code sees (the endpoint, placeholder keys).
2. runner -> worker, for each batch of runs: ``runs_request``, a ``RunOrder`` per run (its
   steps, its result and output files, the methods that hung before, its budgets), the
   ``ChildLimits`` and the wall-clock seconds. The worker reads both with ``read_request``.
3. worker -> runner, once it has forked a child per run: ``pids_reply`` (``read_pids``).
4. each child -> its own result file, never a pipe: ``step_started`` before each step, then
   one last line, ``run_done`` (the outcomes), ``run_over_budget`` (a simulated budget ran
   out) or ``run_crashed``; the runner reads them with ``read_result``. What the child
   prints goes to its output file.
5. worker -> runner, once every run has ended or been killed and what they left is swept:
   ``exits_reply`` (``read_exits``).
6. The runner closes the worker's stdin: the worker sweeps what is left and exits.

The result-line builders are called in a child after learner code has run: they build their
dicts from literals and look up nothing, and the child keeps its own references to them
(and to the JSON encoder) from before learner code could replace anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict, TypeVar

TOKEN_VARIABLE = "GRADER_SANDBOX_TOKEN"  # marks every process started for one Sandbox
FOLDER_VARIABLE = "GRADER_SANDBOX_DIR"  # the worker's own folder: result and output files
PLAN_VARIABLE = "GRADER_SANDBOX_PLAN"  # the Plan, as JSON
# Read by the probe only (tests set them to grade as a machine without these would).
NO_LANDLOCK_VARIABLE = "GRADER_SANDBOX_NO_LANDLOCK"
NO_NAMESPACES_VARIABLE = "GRADER_SANDBOX_NO_NAMESPACES"

UNPRIVILEGED_USER = "nobody"  # whom learner code runs as where the grader is root
# The one folder learner code may write, in the worker's folder, and its two subfolders.
LEARNER_FOLDER, SCRATCH_FOLDER = "learner", "tmp"  # HOME and TMPDIR inside it
# A correct run takes under a second of real time even on a busy machine (0.97 s at most for
# the reference and the module-style code at a load of 6 to 10); 4 s leaves a wide margin.
KINESIS_SOCKET = "kinesis.sock"  # in the worker's folder: the embedded Kinesis, for the worker's bridge
DEFAULT_WALL_SECONDS = 4.0
# The real time one part of a grading may take (``runner.Limits.part_seconds``), if not 60 s.
PART_SECONDS_VARIABLE = "GRADER_PART_SECONDS"
LEARNER_FOLDER_CAP_BYTES = 64 * 1024 * 1024  # what the runs of one batch may write in the learner's folder
_Payload = TypeVar("_Payload")


class Plan(TypedDict, total=False):
    """What the worker sets up for learner code (see ``isolation.isolation``)."""

    landlock: bool  # each run enters a Landlock domain
    read: list[str]  # folders learner code may read, besides its exercises copy
    user: str  # the user runs drop to, or ""
    uid: int  # the uid runs drop to, where the worker holds one of its own (``uids.lease``); else ``user``'s
    drop_uid: bool
    mount: bool  # a mount namespace that shows ``reveal`` to that user
    pid: bool  # a pid namespace whose pid 1 is the worker
    user_ns: bool  # a user namespace, where the others need one
    reveal: list[str]
    shared_loopback: bool  # learner code could reach other gradings' Kinesis: gradings take turns (``loopback``)
    network: bool  # the worker has a network namespace of its own
    scratch_tmpfs: bool  # the learner's folder is a tmpfs of the worker's mount namespace, new for each batch
    refuse: str  # why learner code must not run here at all
    learner: str  # the learner's folder (LEARNER_FOLDER in the worker's folder)


def worker_variables(token: str, folder: str, plan: Plan) -> dict[str, str]:
    """The environment variables of the sandbox in the worker's environment."""
    return {TOKEN_VARIABLE: token, FOLDER_VARIABLE: folder, PLAN_VARIABLE: json.dumps(plan)}


def read_plan(environ: Mapping[str, str]) -> Plan:
    return json.loads(environ.get(PLAN_VARIABLE) or "{}")


def worker_folder(environ: Mapping[str, str]) -> str:
    return environ[FOLDER_VARIABLE]


@dataclass(frozen=True)
class ChildLimits:
    """What each child caps for itself (None: left as it is)."""

    memory_bytes: int | None = None
    cpu_seconds: int | None = None
    file_bytes: int | None = None
    processes: int | None = None
    output_chars: int = 20_000


@dataclass(frozen=True)
class RunOrder:
    """One run of a batch: the steps a child runs, where it writes, what it may spend."""

    steps: list[dict[str, Any]]
    result_path: str
    output_path: str
    hung: list[str] = field(default_factory=list)  # methods that timed out before: they fail at once
    seconds_budget: float = 120.0  # simulated seconds
    http_budget: int = 3000  # Kinesis calls


@dataclass(frozen=True)
class Request:
    """A line the worker read: the environment (sent once), or a batch of runs."""

    environment: dict[str, str] | None = None
    runs: list[RunOrder] = field(default_factory=list)
    limits: ChildLimits = field(default_factory=ChildLimits)
    wall_seconds: float = DEFAULT_WALL_SECONDS


def environment_request(env: dict[str, str]) -> str:
    return _line({"environment": env})


def runs_request(runs: list[RunOrder], limits: ChildLimits, wall_seconds: float) -> str:
    return _line({"runs": [_as_json(run) for run in runs], "limits": _as_json(limits), "wall_seconds": wall_seconds})


def read_request(line: str) -> Request:
    request = json.loads(line)
    if "environment" in request:
        return Request(environment={str(k): str(v) for k, v in request["environment"].items()})
    return Request(
        None,
        [_from_json(RunOrder, run) for run in request["runs"]],
        _from_json(ChildLimits, request["limits"]),
        float(request.get("wall_seconds") or DEFAULT_WALL_SECONDS),
    )


def pids_reply(pids: list[int]) -> str:
    return _line({"pids": pids})


def read_pids(line: str | None) -> list[int]:
    """The pids of the runs' children; raises (TypeError, ValueError, KeyError) on anything else."""
    return json.loads(line or "null")["pids"]


@dataclass(frozen=True)
class Exit:
    """How one child ended: its exit code (None: unknown) and whether the worker stopped it at its time."""

    code: int | None
    timed_out: bool
    over_folder_cap: bool = False  # the runs were stopped for writing past the learner folder's cap


def exits_reply(pids: list[int], codes: dict[int, int], late: set[int], over_folder_cap: bool = False) -> str:
    exits = [{"pid": pid, "code": codes[pid], "timeout": pid in late} for pid in pids]
    return _line({"exits": exits, "over_folder_cap": over_folder_cap})


def read_exits(line: str) -> list[Exit]:
    """One ``Exit`` per run; raises (TypeError, ValueError, KeyError) when the line is no exits reply."""
    reply = json.loads(line)
    over = reply.get("over_folder_cap") is True
    exits = []
    for item in list(reply["exits"]):
        code = item.get("code") if isinstance(item, dict) else None
        timed_out = bool(item.get("timeout")) if isinstance(item, dict) else True
        exits.append(Exit(code if isinstance(code, int) else None, timed_out, over))
    return exits


# --- a child's result file; a child builds its lines after learner code ran: they look nothing up ---


def step_started(index: int, label: str, key: str) -> dict[str, Any]:
    return {"step": index, "calling": label, "key": key}


def run_done(outcomes: list[dict[str, Any]], output_dropped: int) -> dict[str, Any]:
    return {"done": outcomes, "output_dropped": output_dropped}


def run_over_budget(reason: str, output_dropped: int) -> dict[str, Any]:
    return {"budget": reason, "output_dropped": output_dropped}


def run_crashed(text: str) -> dict[str, Any]:
    return {"crash": text}


@dataclass
class Ending:
    """The last line of a result file: ``kind`` "done", "budget", "crash", or "" (none of them well formed)."""

    kind: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""  # the budget or the crash
    output_dropped: int = 0


@dataclass
class ResultFile:
    """What a run's result file says: the step it was in (its label and method), how it ended."""

    calling: str | None = None
    calling_key: str | None = None
    ending: Ending | None = None


def read_result(raw: bytes) -> ResultFile:
    """Read a result file: every line is data written by a child learner code ran in."""
    found = ResultFile()
    final: dict[str, Any] | None = None
    for line in raw.splitlines():
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # learner code may write anything here, nested ten thousand deep
            continue
        if not isinstance(message, dict):
            continue
        if "calling" in message:
            found.calling = str(message["calling"])
            found.calling_key = str(message.get("key") or "")
        if "done" in message or "budget" in message or "crash" in message:
            final = message
    if final is not None:
        found.ending = _ending(final)
    return found


def _ending(final: dict[str, Any]) -> Ending:
    if "done" in final and isinstance(final["done"], list):
        outcomes = [o for o in final["done"] if isinstance(o, dict)]
        return Ending("done", outcomes, "", _count(final.get("output_dropped")))
    if "budget" in final:
        return Ending("budget", detail=str(final["budget"]))
    if "crash" in final:
        return Ending("crash", detail=str(final["crash"]))
    return Ending("")


def _count(value: Any) -> int:
    """A count read from a result file: anything but a whole number of at least 0 counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _line(message: dict[str, Any]) -> str:
    return json.dumps(message) + "\n"


def _as_json(payload: Any) -> dict[str, Any]:
    """A payload's fields by name (shallow: their values are JSON already)."""
    return {item.name: getattr(payload, item.name) for item in fields(payload)}


def _from_json(kind: type[_Payload], data: dict[str, Any]) -> _Payload:
    """A payload from the fields ``data`` has; a missing one keeps its default (raises if it has none)."""
    return kind(**{item.name: data[item.name] for item in fields(kind) if item.name in data})
