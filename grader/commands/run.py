"""``make run`` / ``make demo``: run a producer, then a consumer, against a Kinesis endpoint.

By default the endpoint is an embedded Kinesis on 127.0.0.1 (no AWS account, nothing to
pay). ``--endpoint URL`` uses another emulator (LocalStack, kinesalite) and ``--aws
--region R`` uses real AWS with your own credentials; both are announced before anything
starts. The learner's files are run unchanged, each in its own process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from grader.commands.children import JobResult, run_job
from grader.commands.heartbeat import Heartbeat, kinesis_activity
from grader.commands.jobs import ROOT, WAITER_DELAY_VARIABLE
from grader.kinesis import server

CODE_FOLDERS = ("exercises", "solutions")
FILES = ("enhanced_producer.py", "enhanced_consumer.py")
REAL_AWS_PAUSE_SECONDS = 5  # time to press Ctrl-C after the real-AWS warning
# Here the embedded Kinesis runs on real time: a new stream is CREATING this long (the grader's
# simulated clock keeps AWS-like seconds), and boto3's waiters check this often.
RUN_CREATING_SECONDS = 0.5
RUN_WAITER_DELAY = 0.2


def _child_environment(aws: dict[str, str], drop: str = "AWS_") -> dict[str, str]:
    """This process's environment without the variables starting with ``drop``, plus ``aws``;
    the child's output appears as it happens, in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(aws)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def embedded_environment(client_env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any AWS setting, plus the embedded endpoint's."""
    return {
        **_child_environment(client_env),
        "PYTHONDONTWRITEBYTECODE": "1",
        WAITER_DELAY_VARIABLE: f"{RUN_WAITER_DELAY:g}",
    }


def start_embedded() -> Any:
    """Start an embedded Kinesis for a learner's command, saying so first (moto takes a second
    or more to load) and then how long a new stream stays CREATING on it."""
    print("Starting the embedded Kinesis (no AWS account needed, nothing leaves this machine)...", flush=True)
    from grader.kinesis.server import EmbeddedKinesis

    with Heartbeat("starting the embedded Kinesis"):  # loading moto takes a second or more
        kinesis = EmbeddedKinesis().start()
    kinesis.rules.creating_seconds = RUN_CREATING_SECONDS
    print(
        f"It is ready. A new stream is CREATING for {RUN_CREATING_SECONDS:g} s on it (on AWS, several seconds): "
        "wait for ACTIVE either way.",
        flush=True,
    )
    return kinesis


def endpoint_environment(url: str, region: str) -> dict[str, str]:
    """Point boto3 at another emulator; fake credentials, since emulators accept any."""
    return _child_environment(server.endpoint_environment(url, region))


def real_aws_environment(region: str) -> dict[str, str]:
    """Keep the user's credentials and profile; drop endpoint overrides so calls reach AWS."""
    return _child_environment({"AWS_DEFAULT_REGION": region, "AWS_REGION": region}, drop="AWS_ENDPOINT_URL")


def exit_now(code: int) -> None:
    """Leave as soon as the last line is out: the interpreter's own teardown, with moto loaded,
    takes most of a second, a silence after the last line for nothing (nothing is left to close)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def check_folder(code: str) -> Path:
    """The code folder, with a clear message if its files are missing."""
    folder = ROOT / code
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing and code == "exercises":
        raise SystemExit(f"exercises/ has no {', '.join(missing)}: restore it from git (git checkout -- exercises/).")
    if missing:
        raise SystemExit(f"{code}/ is not part of this copy of the exercise: run your own code with --code exercises.")
    return folder


def add_code_option(parser: argparse.ArgumentParser) -> None:
    """``--code``: whose code to run, among the code folders this copy has. The learner's copy
    has exercises/ only, so there the option is not even shown."""
    folders = [code for code in CODE_FOLDERS if (ROOT / code).is_dir()] or ["exercises"]
    shown = "whose code to run (default: exercises)" if len(folders) > 1 else argparse.SUPPRESS
    parser.add_argument("--code", choices=folders, default="exercises", help=shown)


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
    add_code_option(parser)
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
        embedded = start_embedded()
        env = embedded_environment(embedded.client_environment())
    activity = kinesis_activity(embedded) if embedded is not None else None
    try:
        steps = [
            ("producer", "producer_main", {"stream": args.stream, "events": args.events}),
            ("consumer", "consumer_main", {"stream": args.stream}),
        ]
        for name, job, job_args in steps:
            print(f"\n── {name}: {args.code}/enhanced_{name}.py ──\n", flush=True)
            with Heartbeat(f"the {name}", activity) as heartbeat:
                result = run_job(folder, job, job_args, env, timeout=args.timeout, echo=True, heartbeat=heartbeat)
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
    exit_now(main())
