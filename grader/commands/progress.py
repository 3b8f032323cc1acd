"""A progress bar on stderr for the producer's sends, kept out of the way of what stdout prints.

``make run`` wraps the learner's ``send_batch``/``send_event`` with ``add_send_progress``; batch
grading draws its own progress line with ``bar``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Set by make run when its own stdout is a terminal: the child's output is a pipe to it, and
# the bar may still redraw in place, on stdout, in order with the lines around it.
LIVE_PROGRESS_VARIABLE = "GRADER_LIVE_PROGRESS"


def bar(done: int, total: int, width: int) -> str:
    """``#####.....``: ``done`` of ``total`` in ``width`` characters (full when total is 0)."""
    filled = width * done // total if total else width
    return "#" * filled + "." * (width - filled)


class ProgressBar:
    """A text bar on stderr, e.g. ``[#####.....] 5/10``, that stays out of stdout's way."""

    WIDTH = 20

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        # On a terminal the bar is redrawn in place; elsewhere (a log, a pipe) it is written once, finished.
        terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = terminal or os.environ.get(LIVE_PROGRESS_VARIABLE) == "1"
        self.shown = False  # the bar has been drawn at least once
        self.visible = False  # a live bar is on screen right now

    def text(self) -> str:
        """The bar for the current count."""
        return f"[{bar(self.done, self.total, self.WIDTH)}] {self.done}/{self.total}"

    def update(self, done: int) -> None:
        """Show ``done`` of ``total`` when it changed."""
        done = min(done, self.total)
        if done == self.done and self.shown:
            return
        self.done = done
        self.shown = True
        if not self.live:
            return
        self.stream.write("\r\033[K" + self.text())
        self.visible = True
        self.stream.flush()

    def hide(self) -> None:
        """Erase a live bar so the next stdout line starts at the left margin."""
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.visible = False

    def redraw(self) -> None:
        """Draw a live bar again after stdout wrote a line."""
        if self.live and self.shown and not self.visible:
            self.stream.write(self.text())
            self.stream.flush()
            self.visible = True

    def finish(self) -> None:
        """Leave the finished bar on its own line."""
        if self.shown:
            self.stream.write(("\r\033[K" if self.live else "") + self.text() + "\n")
            self.stream.flush()
        self.shown = self.visible = False


class _StdoutAroundBar:
    """sys.stdout stand-in: hides the live bar while the learner's code prints a line."""

    def __init__(self, real: Any, bar: ProgressBar) -> None:
        self.real = real
        self.bar = bar

    def write(self, text: str) -> int:
        self.bar.hide()
        self.real.flush()
        written = self.real.write(text)
        self.real.flush()
        if text.endswith("\n"):
            self.bar.redraw()
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def add_send_progress(producer_class: type) -> None:
    """Wrap ``send_batch``/``send_event`` of the class to show a bar as results come in."""
    original_batch = producer_class.send_batch
    original_event = producer_class.send_event
    state: dict[str, Any] = {"bar": None, "seen": set()}

    def send_event(self: Any, event_data: Any, partition_key: str) -> Any:
        result = original_event(self, event_data, partition_key)
        if state["bar"] is not None:
            state["seen"].add(id(event_data))  # a retried event counts once
            state["bar"].update(len(state["seen"]))
        return result

    def send_batch(self: Any, events: Any, partition_key_fn: Any, **kwargs: Any) -> Any:
        bar = ProgressBar(len(events), sys.stdout if os.environ.get(LIVE_PROGRESS_VARIABLE) == "1" else None)
        state["bar"], state["seen"] = bar, set()
        real_stdout = sys.stdout
        sys.stdout = _StdoutAroundBar(real_stdout, bar)
        try:
            results = original_batch(self, events, partition_key_fn, **kwargs)
            bar.update(len(results) if isinstance(results, list) else bar.done)
            return results
        finally:
            sys.stdout = real_stdout
            state["bar"] = None
            bar.finish()

    producer_class.send_batch = send_batch
    producer_class.send_event = send_event
