"""Batch isolation where no layer separates gradings: they take turns; the uid range is held by locks."""

from __future__ import annotations

import fcntl
import os

import pytest

from grader.sandbox import isolation, loopback, uids


def _lock_is_free(path: str) -> bool:
    """Whether another process could take the lock on ``path`` now (asked from a fork)."""
    pid = os.fork()
    if pid == 0:
        handle = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def test_gradings_take_turns_while_a_worker_exists(tmp_path, monkeypatch):
    lock = tmp_path / "turn.lock"
    monkeypatch.setattr(loopback, "lock_path", lambda: lock)
    loopback.take_turn()
    loopback.take_turn()  # a second worker of the same grading shares the turn
    assert not _lock_is_free(str(lock))
    loopback.end_turn()
    assert not _lock_is_free(str(lock))  # one worker is left
    loopback.end_turn()
    assert _lock_is_free(str(lock))


def test_no_network_layer_means_one_grading_at_a_time(monkeypatch):
    monkeypatch.setattr(isolation, "_ISOLATION", {})
    monkeypatch.setenv("GRADER_SANDBOX_NO_LANDLOCK", "1")
    monkeypatch.setenv("GRADER_SANDBOX_NO_NAMESPACES", "1")
    found = isolation.isolation()
    assert found["plan"]["shared_loopback"] and not found["plan"]["network"]
    assert "one grading at a time" in found["isolation"]
    monkeypatch.setattr(isolation, "_ISOLATION", {})
    monkeypatch.delenv("GRADER_SANDBOX_NO_LANDLOCK")
    found = isolation.isolation()
    assert not found["plan"]["shared_loopback"] or found["landlock_abi"] < 4


def test_each_worker_takes_another_uid():
    if not uids.available():
        pytest.skip("uids of the range can be taken only as root, with the range mapped")
    first, second = uids.lease(), uids.lease()
    try:
        assert first is not None and second is not None and first.uid != second.uid
        assert first.uid in uids.UID_RANGE and second.uid in uids.UID_RANGE
    finally:
        for held in (first, second):
            if held is not None:
                held.release()
