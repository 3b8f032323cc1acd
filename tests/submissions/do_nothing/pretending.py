"""A submission that does nothing: the stubs of exercises/ with two methods that only pretend.

``send_event`` reports a failure without calling Kinesis and ``consume`` waits out
``max_seconds`` and returns ``[]``; every other method stays a stub that raises
NotImplementedError. Only these changes are kept, so the submission follows the stubs
whenever they are generated again (``make stubs``).
"""

from __future__ import annotations

from pathlib import Path

from tests.mutants.patching import ROOT, Patch, materialize

STUBS = ROOT / "exercises"
# Each method's stub body, and what the do-nothing submission puts instead.
SEND_EVENT = (
    "        # TODO(producer.send_event): your code here\n"
    '        raise NotImplementedError("TODO(producer.send_event): implement EventProducer.send_event")\n'
)
SEND_EVENT_PRETENDS = (
    "        # Does nothing: never calls Kinesis, reports a failure.\n"
    '        return {"success": False, "error": "not sent"}\n'
)
CONSUME = '        raise NotImplementedError("TODO(consumer.stopping): implement EventConsumer.consume")\n'
CONSUME_PRETENDS = "        time.sleep(max_seconds or 0)  # does nothing, for as long as it may\n        return []\n"
PATCHES: tuple[Patch, ...] = (
    ("enhanced_producer.py", SEND_EVENT, SEND_EVENT_PRETENDS),
    ("enhanced_consumer.py", CONSUME, CONSUME_PRETENDS),
)


def build(target: Path) -> Path:
    """Write ``target/exercises``, the do-nothing submission, and return that folder."""
    return materialize(target, PATCHES, reference=STUBS)
