"""What the producer and consumer checks share: type checks, running with faults, labels.

Each check runs the learner's code, then compares what it reported with what the grader
reads from the stream itself, and explains any difference as a ``Feedback``.
"""

from __future__ import annotations

from typing import Any

from grader.harness.feedback import Feedback, Missing, Opaque, show, type_name
from grader.harness.outcome import Outcome
from grader.harness.script import CONSUMER, PRODUCER, Script
from grader.kinesis.faults import Plan, installed
from grader.kinesis.stream_view import Record

PRODUCER_CLASS = f"{PRODUCER}.EventProducer"
CONSUMER_CLASS = f"{CONSUMER}.EventConsumer"
RESULT_SHAPE = "a dict {'success': True, 'shard_id': <str>, 'sequence_number': <str>}"


def require_type(value: Any, kind: type, called: str, what: str, why: str = "") -> None:
    """Fail unless ``value`` is exactly of type ``kind`` (an always-equal object is not)."""
    if type(value) is not kind or isinstance(value, (Opaque, Missing)):
        raise Feedback(
            called, f"gave {what} = {show(value)} ({_a(type_name(value))})", f"{what} to be {_a(kind.__name__)}", why
        )


def _a(noun: str) -> str:
    """The noun with its indefinite article: "an int", "a str"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def require_int(value: Any, called: str, what: str) -> int:
    """Fail unless ``value`` is a real int (not a bool, not a look-alike)."""
    require_type(value, int, called, what, "counters are plain whole numbers")
    return value


def require_result_dict(value: Any, called: str) -> dict[str, Any]:
    """Fail unless ``value`` is a real dict with str keys and a bool 'success'."""
    require_type(value, dict, called, "the result", f"send_event returns {RESULT_SHAPE}")
    if not all(type(k) is str for k in value):
        raise Feedback(called, f"returned {show(value)}", "a dict whose keys are strings")
    if type(value.get("success")) is not bool:
        raise Feedback(called, f"returned {show(value)}", "a dict with 'success' set to True or False")
    return value


FAULT_SECONDS_BUDGET, FAULT_HTTP_BUDGET = 150.0, 3000


def run_with(learner: Any, script: Script, faults: Plan | None = None, **budgets: Any) -> Outcome:
    """Run a script while Kinesis follows ``faults`` (if any); serve normally again afterwards."""
    if faults is not None:
        # Retrying with backoff through a run of failures may legitimately take a while.
        budgets = {"seconds_budget": FAULT_SECONDS_BUDGET, "http_budget": FAULT_HTTP_BUDGET, **budgets}
    with installed(learner.kinesis, faults):
        return learner.run(script, **budgets)


def under(called: str, faults: Plan | None) -> str:
    """The call's label, plus what Kinesis did to it when faults were injected."""
    return called if faults is None else f"{called} while {faults.describe()}"


def sent_bytes(records: list[Record]) -> int:
    """Bytes of data that really landed."""
    return sum(len(r.data) for r in records)
