"""How long a learner's command keeps them waiting: the time to its first output and its longest silence.

``python -m instructor.silences -- make run CODE=solutions`` runs the command, notes when
each piece of its output (stdout or stderr) arrives, and prints the time to the first one
and the longest gap between two (or between the last one and the end), with the line that
came before it. A measurement on this machine, as it is loaded now: not a test.
"""

from __future__ import annotations

import argparse
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Timeline:
    """When each chunk of output arrived, in seconds from the start, and when the command ended."""

    chunks: list[tuple[float, str]]
    ended: float
    returncode: int

    @property
    def first_output(self) -> float:
        return self.chunks[0][0] if self.chunks else self.ended

    def longest_silence(self) -> tuple[float, str]:
        """The longest wait between two outputs (or the start and the first, or the last and
        the end), and the last text seen before it."""
        times = [0.0, *(at for at, _ in self.chunks), self.ended]
        texts = ["(start)", *(text for _, text in self.chunks)]
        gaps = [(times[i + 1] - times[i], texts[i]) for i in range(len(texts))]
        return max(gaps, key=lambda gap: gap[0])


def record(command: list[str], timeout: float = 300.0) -> Timeline:
    """Run ``command``, noting when each chunk of its stdout and stderr arrives."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: list[tuple[float, str]] = []
    with selectors.DefaultSelector() as selector:
        for stream in (process.stdout, process.stderr):
            selector.register(stream, selectors.EVENT_READ)
        open_streams = 2
        while open_streams:
            if time.monotonic() - started > timeout:
                process.kill()
                break
            for key, _ in selector.select(timeout=1.0):
                data = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                if not data:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                chunks.append((time.monotonic() - started, data.decode("utf-8", "replace")))
    returncode = process.wait()
    return Timeline(chunks, time.monotonic() - started, returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor.silences", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args(argv)
    command = [word for word in args.command if word != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --, e.g. -- make run CODE=solutions")
    timeline = record(command)
    silence, before = timeline.longest_silence()
    last_line = (before.rstrip("\n").splitlines() or [""])[-1].strip()[:70]
    print(
        f"{' '.join(command)}: first output after {timeline.first_output:.2f} s, longest silence {silence:.2f} s "
        f"(after {last_line!r}), {timeline.ended:.1f} s in all, exit code {timeline.returncode}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
