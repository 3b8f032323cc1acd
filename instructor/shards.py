"""Authoritative grading at scale: the roster split into shards, each graded by its own job.

Used by ``instructor/grade_at_scale.yml``, a workflow for the instructor's private
repository (a full copy of this project, hidden tests included):

``python -m instructor.shards split ROSTER --shard I --shards N`` prints shard I's
repositories: every N-th name of the sorted roster, starting at the I-th.

``python -m instructor.shards clone ROSTER DEST --shard I --shards N --org ORG`` clones
them into DEST/<name>. The token (``ASSIGNMENT_TOKEN``) goes in an HTTP header given on
git's command line, so no clone's ``.git/config`` keeps it; a repository that cannot be
cloned becomes an empty folder, so it still gets a gradebook row saying so. ``--history``
clones every commit (a deadline picks among them); without it only the newest.

``python -m instructor.shards merge SHARDS OUT`` merges the shards' outputs
(SHARDS/<shard>/gradebook.csv and SHARDS/<shard>/<learner>/) into one OUT/gradebook.csv,
rows in the order one ``make grade-all`` gives, with every learner's folder.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

from instructor import gradebook

GIT_BASE = "https://github.com"
CLONE_TIMEOUT = 300


def read_roster(path: Path) -> list[str]:
    """Repository names, one a line; blank lines and ``#`` comments skipped; sorted, once each."""
    names = {line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()}
    return sorted(name for name in names if name)


def shard(names: list[str], index: int, count: int) -> list[str]:
    """Shard ``index`` of ``count``: every count-th name from the index-th (sizes differ by one at most)."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"shard {index} of {count} does not exist")
    return names[index::count]


def clone(names: list[str], dest: Path, org: str, token: str, base: str = GIT_BASE, history: bool = False) -> list[str]:
    """Clone each repository into dest/<name>; return the names that failed."""
    dest.mkdir(parents=True, exist_ok=True)
    header = []
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        header = ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
    depth = [] if history else ["--depth", "1"]
    failed = []
    for name in names:
        target = dest / name
        if target.exists():
            shutil.rmtree(target)
        done = subprocess.run(
            ["git", *header, "clone", "--quiet", *depth, f"{base}/{org}/{name}.git", str(target)],
            capture_output=True,
            text=True,
            timeout=CLONE_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
        if done.returncode != 0:
            failed.append(name)
            print(f"{name}: not cloned ({done.stderr.strip()[-300:]})", file=sys.stderr)
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()  # graded as a submission without exercises/: its row says so
    return failed


def merge(shards: Path, out: Path) -> Path:
    """One gradebook from every shard's, and every learner's folder, in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for folder in sorted(p for p in shards.iterdir() if (p / gradebook.GRADEBOOK).is_file()):
        columns, shard_rows = gradebook.read_csv(folder / gradebook.GRADEBOOK)
        if header is not None and columns != header:
            raise ValueError(f"{folder.name}: its gradebook has other columns than the first shard's")
        header = columns
        rows += shard_rows
        for learner in sorted(p for p in folder.iterdir() if p.is_dir()):
            shutil.copytree(learner, out / learner.name, dirs_exist_ok=True)
    if header is None:
        raise ValueError(f"no shard gradebook in {shards}")
    rows.sort(key=lambda row: row["submission"])  # one grade-all lists the folders sorted by name
    target = out / gradebook.GRADEBOOK
    gradebook.write_csv(target, header, rows)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: ``split``, ``clone`` or ``merge``."""
    parser = argparse.ArgumentParser(prog="python -m instructor.shards", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("split", "clone"):
        command = commands.add_parser(name)
        command.add_argument("roster", type=Path)
        if name == "clone":
            command.add_argument("dest", type=Path)
            command.add_argument("--org", required=True, help="the organisation that holds the assignment repositories")
            command.add_argument("--history", action="store_true", help="every commit, for grading at a deadline")
        command.add_argument("--shard", type=int, required=True)
        command.add_argument("--shards", type=int, required=True)
    merging = commands.add_parser("merge")
    merging.add_argument("shards", type=Path)
    merging.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "merge":
        print(f"merged -> {merge(args.shards, args.out)}")
        return 0
    names = shard(read_roster(args.roster), args.shard, args.shards)
    if args.command == "split":
        print("\n".join(names))
        return 0
    failed = clone(
        names,
        args.dest,
        args.org,
        os.environ.get("ASSIGNMENT_TOKEN", ""),
        os.environ.get("SUBMISSIONS_GIT_BASE", GIT_BASE),
        args.history,
    )
    print(f"shard {args.shard + 1} of {args.shards}: {len(names) - len(failed)} of {len(names)} repositories cloned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
