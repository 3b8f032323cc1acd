"""The worker process: imports boto3 once, then forks one child per run of learner code.

Started by ``grader.sandbox.runner`` with pipes on stdin/stdout and a plan
(``isolation.isolation``); what the two say to each other, and in which order, is
``messages``. Learner code never runs in this process, only in the forked children, so each
run starts from a clean, already warm interpreter in a few milliseconds instead of the
~0.4 s a fresh Python with boto3 costs.

Once, at start: the namespaces of the plan (``confine.enter``).

Each child: puts itself in its own process group, opens its result and output files (in the
worker's folder, which it can reach through these descriptors only), applies resource
limits, enters its own Landlock domain (files beneath the interpreter, the packages and the
exercises copy, writes in the learner's folder only, TCP to the embedded Kinesis only, no
signal, ptrace or abstract socket reaching outside), drops to the worker's own uid when the grader is
root (all in ``confine``), installs the simulated clock, runs its steps and writes JSON lines
to its result file. It always leaves with ``os._exit`` so no learner thread or exit handler
can keep it alive. If the sandbox the plan promises cannot be made, the child refuses to run
learner code.

After each batch, the worker sweeps what the runs left (``reaping``) before it reports.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # started as a script with -I: find the grader package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import boto3  # noqa: E402,F401 - imported once here so every child has it warm
import botocore.httpsession  # noqa: E402,F401

# Every grader module the worker and its children use is imported now, before the namespaces
# are made: a tmpfs may cover the grader's own folder then. (These import landlock, describe
# and dry_reads in turn; none of them imports a grader module later, inside a function.)
from grader.sandbox import confine, messages, reaping, scratch, spare_client, virtual_time  # noqa: E402
from grader.sandbox import steps as steps_module  # noqa: E402

# Kept before any learner code can replace them: a child writes its last result line with these.
_os_exit, _os_write, _json_dumps = os._exit, os.write, json.dumps
_run_done, _run_over_budget, _run_crashed = messages.run_done, messages.run_over_budget, messages.run_crashed


class BoundedOutput:
    """A text stream that writes the first ``limit`` characters to a descriptor, then counts."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.room = limit
        self.dropped = 0
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        text = str(text)
        kept, extra = text[: self.room], len(text) - max(self.room, 0)
        if kept:
            try:
                _os_write(self.fd, kept.encode("utf-8", "replace"))
            except OSError:
                pass
            self.room -= len(kept)
        if extra > 0:
            self.dropped += extra
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd

    def writable(self) -> bool:
        return True


def _child(
    run: messages.RunOrder,
    limits: messages.ChildLimits,
    exercises: Path,
    ids: tuple[int, int] | None,
    ruleset: Any,
    refusal: str,
    worker: int,
) -> None:
    """Body of one forked child; never returns."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out_fd = os.open(run.output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    result_fd = os.open(run.result_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd in (devnull, out_fd):
        os.close(fd)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over-long writes fail instead of killing

    def emit(message: dict[str, Any]) -> None:
        try:
            _os_write(result_fd, (_json_dumps(message) + "\n").encode())
        except (OSError, TypeError, ValueError):
            pass

    output = BoundedOutput(1, limits.output_chars)
    sys.stdout = sys.stderr = output

    def over_budget(reason: str) -> None:
        emit(_run_over_budget(reason, output.dropped))
        _os_exit(0)

    clock = virtual_time.VirtualClock(epoch=time.time(), on_budget=over_budget)
    clock.seconds_budget = run.seconds_budget
    clock.http_budget = run.http_budget
    virtual_time.install(clock)
    virtual_time.count_http_calls(clock)
    confine.apply_limits(limits)
    try:
        if refusal:
            raise OSError(refusal)
        if ruleset is not None:
            ruleset.enforce()  # from here on: only the listed folders and the Kinesis port
        confine.drop_privileges(ids)
        reaping.die_with_parent(worker)  # after the drop, which clears it: no run outlives its worker
    except OSError as error:  # never run learner code in a weaker sandbox than the grader reported
        emit(_run_crashed(f"the sandbox refused to run this code: {error}"[:500]))
        _os_exit(0)
    steps_module.prepare_import_path(exercises)
    executor = steps_module.Executor(exercises, emit, set(run.hung), limits.memory_bytes)
    try:
        outcomes = executor.run(run.steps, clock.read)
        emit(_run_done(outcomes, output.dropped))
    except BaseException as error:  # keep the report even if describing a value blew up
        emit(_run_crashed(f"{type(error).__name__}: {error}"[:500]))
    _os_exit(0)


def _reply(line: str) -> None:
    sys.__stdout__.write(line)
    sys.__stdout__.flush()


def _share_parsed_endpoint_rules() -> None:
    """Parse Kinesis's endpoint rules once for every client made in this worker and its runs.

    botocore parses a service's endpoint rule set again for each new client, about a third of
    the ~15 ms a client costs; learner code makes a client in nearly every run. The parsed
    rules are immutable and their lookups are pure, so one parse can serve every client made
    from the same loaded data (the loader caches it, so the same objects come back).
    """
    import botocore.regions

    parse = botocore.regions.EndpointProvider
    parsed: dict[tuple[int, int, str], tuple[Any, Any, Any]] = {}

    def shared(ruleset_data: Any, partition_data: Any, **options: Any) -> Any:
        key = (id(ruleset_data), id(partition_data), repr(sorted(options.items())))
        if key not in parsed:  # the data is kept too, so its id is never reused
            parsed[key] = (
                parse(ruleset_data=ruleset_data, partition_data=partition_data, **options),
                ruleset_data,
                partition_data,
            )
        return parsed[key][0]

    botocore.regions.EndpointProvider = shared


def _preload() -> None:
    """Load Kinesis's service model and endpoint rules (~150 ms) before the endpoint is known.

    The worker starts while the grader is still starting its Kinesis: this overlaps them.
    Explicit placeholder keys keep boto3 from looking for credentials anywhere.
    """
    _share_parsed_endpoint_rules()
    try:
        boto3.client(
            "kinesis",
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="preload",
            aws_secret_access_key="preload",
        ).close()
    except Exception:  # noqa: BLE001 - only a warm-up: a failure costs speed, nothing else
        pass


def _warm_up() -> None:
    """Load and exercise boto3's Kinesis machinery once, so children start with it warm.

    ``_preload`` has loaded the service model already; one real call, now that the endpoint
    is known, loads what the first request of each client would otherwise load (signer,
    parsers, the connection machinery). Then the
    warm heap is frozen: the garbage collector of a child never walks it, which spares the
    child ~100 ms pauses and copy-on-write copies of every page the walk would touch.
    """
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("kinesis", region_name=region)
    try:
        client.list_streams(Limit=1)
    except Exception:  # noqa: BLE001 - only a warm-up: a failure costs speed, nothing else
        pass
    client.close()
    spare_client.prepare(region)
    gc.collect()
    gc.freeze()


def main() -> None:
    """Serve run requests from stdin until it closes."""
    reaping.die_with_parent()
    exercises = Path(sys.argv[1]).resolve()
    plan = messages.read_plan(os.environ)
    own = messages.worker_folder(os.environ)  # the worker's own folder: result files (learner code never sees it)
    # the one folder learner code may write
    learner = Path(plan.get("learner") or os.path.join(own, messages.LEARNER_FOLDER))
    refusal = plan.get("refuse", "") or confine.enter(plan, own)
    ids = confine.unprivileged_ids(plan) if not refusal else None
    reaping.become_subreaper()
    home = learner / messages.SCRATCH_FOLDER
    folder = scratch.LearnerFolder(learner, home, ids, bool(plan.get("scratch_tmpfs")) and not refusal)
    ruleset = None
    _preload()
    worker = os.getpid()  # 1 in its own pid namespace
    for line in sys.stdin:
        request = messages.read_request(line)
        if request.environment is not None:
            # Sent once, when the grader's Kinesis endpoint is up: the worker was started
            # earlier so that importing boto3 overlaps the grader's own start-up.
            os.environ.update(request.environment)
            os.environ.update({"HOME": str(home), "TMPDIR": str(home)})
            endpoint_port = urllib.parse.urlsplit(os.environ.get("AWS_ENDPOINT_URL", "")).port
            if endpoint_port and plan.get("network") and not refusal:
                confine.open_bridge(endpoint_port)  # before the warm-up: its call goes through the bridge
            _warm_up()
            scratch.compile_exercises(exercises)
            try:
                folder.prepare()  # before the rules: they hold the folder's tmpfs, not what it covers
            except OSError as error:
                refusal = refusal or f"the learner's folder could not be made ({error})"
            if plan.get("landlock") and not refusal:
                try:
                    ruleset = confine.landlock_rules(plan, exercises, str(learner))
                except OSError as error:
                    refusal = f"the Landlock rules could not be made ({error})"
            continue
        try:
            folder.prepare()
        except OSError as error:
            refusal = refusal or f"the learner's folder could not be made ({error})"
        pids = []
        for run in request.runs:
            pid = os.fork()
            if pid == 0:
                try:
                    _child(run, request.limits, exercises, ids, ruleset, refusal, worker)
                finally:
                    _os_exit(70)
            pids.append(pid)
        _reply(messages.pids_reply(pids))
        folder.watch(pids)
        codes, late = reaping.wait_for(pids, request.wall_seconds)
        reaping.sweep_orphans()  # nothing a run started may outlive it
        folder.wipe()  # nor anything it wrote
        _reply(messages.exits_reply(pids, codes, late, folder.over))
    reaping.sweep_orphans()


if __name__ == "__main__":
    main()
