"""``make run`` / ``make demo``: run a producer, then a consumer, against a Kinesis endpoint.

By default the endpoint is an embedded Kinesis on 127.0.0.1 (no AWS account, nothing to
pay). ``--endpoint URL`` uses another emulator (LocalStack, kinesalite) and ``--aws
--region R`` uses real AWS with your own credentials; both are announced before anything
starts. The learner's files are run unchanged, each in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.commands.jobs import RESULT_PREFIX, ROOT, TODO_EXIT_CODE, launcher
from grader.kinesis import server

CODE_FOLDERS = ("exercises", "solutions")
FILES = ("enhanced_producer.py", "enhanced_consumer.py")
REAL_AWS_PAUSE_SECONDS = 5  # time to press Ctrl-C after the real-AWS warning


@dataclass
class JobResult:
    """How one child process ended."""

    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def todo(self) -> bool:
        """Whether it stopped on a stub that is still a TODO."""
        return self.returncode == TODO_EXIT_CODE


def run_job(
    folder: Path,
    job: str,
    args: dict[str, Any],
    env: dict[str, str],
    *,
    timeout: float,
    capture: bool = False,
    echo: bool = False,
) -> JobResult:
    """Run one ``grader.commands.jobs`` job in a child process; kill its group after ``timeout``.

    ``capture`` keeps the child's output (to read its RESULT line); with ``echo`` its stdout
    is also shown as it comes, RESULT line left out. Otherwise the child writes to ours.
    """
    command = [sys.executable, "-c", launcher(), str(folder), job, json.dumps(args)]
    pipe = subprocess.PIPE if capture else None
    process = subprocess.Popen(
        command, cwd=folder, env=env, stdout=pipe, stderr=pipe, text=True, start_new_session=True
    )
    out: list[str] = []
    err: list[str] = []
    pumps = (
        [
            threading.Thread(target=_pump, args=(process.stdout, out, echo), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, err, False), daemon=True),
        ]
        if capture
        else []
    )
    for pump in pumps:
        pump.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
    except KeyboardInterrupt:
        _kill_group(process)
        raise
    for pump in pumps:
        pump.join(timeout=5)
    result = JobResult(process.returncode, "".join(out), "".join(err), timed_out)
    for line in out:
        if line.startswith(RESULT_PREFIX):
            result.result = json.loads(line[len(RESULT_PREFIX) :])
    return result


def _pump(source: Any, lines: list[str], echo: bool) -> None:
    """Collect a child's output line by line, showing it at once when asked."""
    for line in source:
        lines.append(line)
        if echo and not line.startswith(RESULT_PREFIX):
            sys.stdout.write(line)
            sys.stdout.flush()


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the child and anything it started (it leads its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def learner_output(result: JobResult) -> str:
    """What a captured child printed, without the RESULT line."""
    return "".join(line for line in result.stdout.splitlines(keepends=True) if not line.startswith(RESULT_PREFIX))


def _child_environment(aws: dict[str, str], drop: str = "AWS_") -> dict[str, str]:
    """This process's environment without the variables starting with ``drop``, plus ``aws``;
    the child's output appears as it happens, in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(aws)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def embedded_environment(client_env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any AWS setting, plus the embedded endpoint's."""
    return {**_child_environment(client_env), "PYTHONDONTWRITEBYTECODE": "1"}


def endpoint_environment(url: str, region: str) -> dict[str, str]:
    """Point boto3 at another emulator; fake credentials, since emulators accept any."""
    return _child_environment(server.endpoint_environment(url, region))


def real_aws_environment(region: str) -> dict[str, str]:
    """Keep the user's credentials and profile; drop endpoint overrides so calls reach AWS."""
    return _child_environment({"AWS_DEFAULT_REGION": region, "AWS_REGION": region}, drop="AWS_ENDPOINT_URL")


def check_folder(code: str) -> Path:
    """The code folder, with a clear message if its files are missing."""
    folder = ROOT / code
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing and code == "exercises":
        raise SystemExit(f"exercises/ has no {', '.join(missing)}: restore it from git (git checkout -- exercises/).")
    if missing:
        raise SystemExit(f"{code}/ is not part of this copy of the exercise: run your own code with --code exercises.")
    return folder


def report_failure(name: str, result: JobResult, timeout: float) -> int:
    """Explain how a step ended badly; return the exit code to use."""
    if result.todo:
        return 1  # the child already explained which TODO is left
    if result.timed_out:
        print(
            f"\n✗ The {name} was still running after {timeout:g} s and was stopped.\n"
            "  A consumer loop that waits for NextShardIterator to be missing never ends on an\n"
            "  open shard: see task 9 (`make hint TASK=consumer.stopping`).",
            file=sys.stderr,
        )
        return 1
    print(f"\n✗ The {name} failed (exit code {result.returncode}): the error is printed above.", file=sys.stderr)
    return 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grader.commands.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--code", choices=CODE_FOLDERS, default="exercises", help="whose code to run (default: exercises)"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--endpoint", metavar="URL", help="another Kinesis emulator, e.g. http://localhost:4566 (LocalStack)"
    )
    target.add_argument(
        "--aws", action="store_true", help="REAL AWS with your credentials (needs --region; may cost money)"
    )
    parser.add_argument("--region", help="AWS region for --aws (required) or --endpoint (default us-east-1)")
    parser.add_argument("--stream", default="user-activity", help="stream name (default: user-activity)")
    parser.add_argument(
        "--events", type=int, default=10, help="how many sample events the producer sends (default: 10)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a step is stopped (default: 60)")
    args = parser.parse_args(argv)
    if args.aws and not args.region:
        parser.error("--aws needs --region, e.g. --aws --region eu-west-1 (nothing was started)")
    if args.region and not (args.aws or args.endpoint):
        parser.error("--region goes with --aws or --endpoint; the embedded Kinesis needs none")
    if args.events < 1:
        parser.error("--events must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the producer's main(), then the consumer's main(), and say how it went."""
    args = _parse(argv)
    folder = check_folder(args.code)
    embedded = None
    if args.aws:
        print(
            f"⚠ Using REAL AWS in region {args.region} with your credentials: this creates the stream "
            f"'{args.stream}' (2 shards) and may cost money.\n"
            f"  Delete it afterwards: aws kinesis delete-stream --stream-name {args.stream} --region {args.region}",
            flush=True,
        )
        if sys.stdin.isatty():
            print(f"  Starting in {REAL_AWS_PAUSE_SECONDS} s; press Ctrl-C to cancel.", flush=True)
            time.sleep(REAL_AWS_PAUSE_SECONDS)
        env = real_aws_environment(args.region)
    elif args.endpoint:
        region = args.region or "us-east-1"
        print(
            f"⚠ Using the Kinesis endpoint at {args.endpoint} (region {region}, fake credentials), "
            "not the embedded one.\n"
            f"  The stream '{args.stream}' stays there until you delete it or stop that emulator.",
            flush=True,
        )
        env = endpoint_environment(args.endpoint, region)
    else:
        from grader.kinesis.server import EmbeddedKinesis

        embedded = EmbeddedKinesis().start()
        print(
            f"Embedded Kinesis on {embedded.endpoint_url} (no AWS account needed, nothing leaves this machine)",
            flush=True,
        )
        env = embedded_environment(embedded.client_environment())
    try:
        steps = [
            ("producer", "producer_main", {"stream": args.stream, "events": args.events}),
            ("consumer", "consumer_main", {"stream": args.stream}),
        ]
        for name, job, job_args in steps:
            print(f"\n── {name}: {args.code}/enhanced_{name}.py ──\n", flush=True)
            result = run_job(folder, job, job_args, env, timeout=args.timeout)
            if result.returncode != 0:
                return report_failure(name, result, args.timeout)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    finally:
        if embedded is not None:
            embedded.stop()
    print("\n✓ Producer and consumer both finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
