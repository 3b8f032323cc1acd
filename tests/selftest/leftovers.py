"""What a grading left running: processes that carry one of its sandbox tokens, and children
of this process that it did not have before.

Other gradings may run on the same machine at the same time, so only this grading's own
tokens count: each token made while the check is armed is recorded. While armed, this
process is a child subreaper, so a process the grading started and then lost (its parent
died) becomes a child of this process instead of vanishing from view: if the grading did not
wait for it, it is still listed, alive or as a zombie, however fast or slow the machine is.
"""

from __future__ import annotations

import os
import secrets

import pytest

from grader.sandbox import reaping
from grader.sandbox.messages import TOKEN_VARIABLE


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, as the kernel's lists of children show them now."""
    return reaping.descendants(pid)


def _describe(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        command = "?"
    return f"{pid} {command[:100]}"


class Leftovers:
    """Armed (``with``) around a grading; ``running()`` then lists what it left, as "pid command" lines.

    Leaving the block stops and reaps whatever was left, so a failing test leaves nothing either.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tokens: list[str] = []
        self.children_before = frozenset(reaping.children())
        make_token = secrets.token_hex

        def recorded(nbytes: int | None = None) -> str:
            token = make_token(nbytes)
            self.tokens.append(token)
            return token

        monkeypatch.setattr(secrets, "token_hex", recorded)

    def running(self) -> list[str]:
        marks = {f"{TOKEN_VARIABLE}={token}".encode() for token in self.tokens}
        marked = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if marks.intersection(handle.read().split(b"\0")):
                        marked.append(int(entry))
            except OSError:
                continue
        new_children = set(reaping.children()) - self.children_before
        return [_describe(pid) for pid in sorted({*marked, *new_children})]

    def __enter__(self) -> Leftovers:
        self.was_subreaper = reaping.is_subreaper()
        reaping.become_subreaper()
        return self

    def __exit__(self, *_exc: object) -> None:
        reaping.kill_children(keep=self.children_before)
        reaping.become_subreaper(self.was_subreaper)
