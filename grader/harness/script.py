"""Scripts of calls to the learner's code, built by tests and run in the sandbox.

A test builds a ``Script`` (make a producer, call ``send_event``, read ``bytes_sent``),
runs it with the ``learner`` fixture and gets back plain values. Every step carries the
label the learner will read in a failure message, e.g.
``producer.send_event({'userId': 'zoë'}, 'zoë')``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.harness.feedback import show

PRODUCER = "enhanced_producer"
CONSUMER = "enhanced_consumer"


@dataclass(frozen=True)
class Ref:
    """A handle on one step's result."""

    index: int
    label: str
    name: str = ""


class Stand:
    """A stand-in for a function argument the worker builds itself (JSON cannot carry lambdas)."""

    def __init__(self, spec: dict[str, Any], text: str) -> None:
        self.spec = spec
        self.text = text

    def __repr__(self) -> str:
        return self.text


def key_of(field: str) -> Stand:
    """``lambda event: event[field]``, e.g. a partition_key_fn."""
    return Stand({"$key_of": field}, f"lambda e: e[{field!r}]")


def field_equals(field: str, value: Any) -> Stand:
    """``lambda event: event.get(field) == value``, e.g. an event_filter."""
    return Stand({"$field_equals": [field, value]}, f"lambda e: e.get({field!r}) == {value!r}")


def _encode(value: Any) -> Any:
    if isinstance(value, Stand):
        return value.spec
    if isinstance(value, Ref):
        return {"$var": f"v{value.index}"}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _arg_text(value: Any) -> str:
    if isinstance(value, Ref):
        return value.name or value.label
    if isinstance(value, list) and len(value) > 3 and all(isinstance(v, dict) for v in value):
        return f"[... {len(value)} events ...]"
    return show(value)


def _call_text(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_arg_text(a) for a in args] + [f"{k}={_arg_text(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _invocation(
    step: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    key: str,
    dry: tuple[int, bool] | None = None,
    **flags: Any,
) -> dict[str, Any]:
    """A step that calls into learner code: ``step`` says what is called; ``key`` names the
    method in messages and in the list of methods that hung; flags that are not set are left out."""
    step = {**step, "args": _encode(list(args)), "kwargs": _encode(kwargs), "key": key}
    if dry is not None:
        step["dry"] = list(dry)
    step.update({flag: value for flag, value in flags.items() if value})
    return step


def noted_field_equals(field: str, value: Any) -> Stand:
    """Like ``field_equals``, and every event it is asked about is noted (read with ``Script.noted``)."""
    return Stand({"$noted_field_equals": [field, value]}, f"lambda e: e.get({field!r}) == {value!r}")


class Script:
    """Steps to run, in order, in one fresh worker child."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.expectations: list[str] = []
        self._imported: set[str] = set()

    def _import(self, module: str) -> None:
        """Load the learner's file as its own step, so a broken file gets its own message."""
        if module not in self._imported:
            self._imported.add(module)
            self._add(
                {"op": "import", "module": module, "key": f"import {module}"},
                f"import {module} (loading exercises/{module}.py)",
                "the file to load without errors",
            )

    def _add(self, step: dict[str, Any], label: str, expect: str, name: str = "") -> Ref:
        index = len(self.steps)
        self.steps.append({**step, "label": label, "save": f"v{index}"})
        self.expectations.append(expect)
        return Ref(index, label, name)

    def new(
        self, class_path: str, *args: Any, name: str = "", expect: str = "", observe: bool = False, **kwargs: Any
    ) -> Ref:
        """Make an object of the learner's class, e.g. ``new('enhanced_producer.EventProducer', 's')``.

        With ``observe``, the object is of a subclass whose ``process_event`` notes every
        event it is given before calling the learner's (read them with ``observed``).
        """
        module, _, class_name = class_path.partition(".")
        self._import(module)
        label = _call_text(class_name, args, kwargs)
        step = _invocation({"op": "new", "cls": class_path}, args, kwargs, f"{class_name}.__init__", observe=observe)
        return self._add(step, label, expect or "it to create the object without an error", name or label)

    def call(
        self, target: Ref, method: str, *args: Any, expect: str = "", dry: tuple[int, bool] | None = None, **kwargs: Any
    ) -> Ref:
        """Call a method of an object made earlier in the script.

        ``dry=(limit, close)`` ends endless polling: after ``limit`` reads in a row of a shard
        with nothing new, the shard looks closed (``close``) or the call is stopped; a stopped
        call's value is ``HALTED`` (see ``halted``).
        """
        owner = target.label.partition("(")[0]
        label = _call_text(f"{target.name or owner}.{method}", args, kwargs)
        step = _invocation(
            {"op": "call", "var": f"v{target.index}", "method": method}, args, kwargs, f"{owner}.{method}", dry
        )
        return self._add(step, label, expect or "it to return normally")

    def send_batch(self, producer: Ref, events: Any, key_field: str = "userId", expect: str = "", **kwargs: Any) -> Ref:
        """``producer.send_batch(events, <the events' key_field>)``, the call most producer checks make."""
        return self.call(producer, "send_batch", events, key_of(key_field), expect=expect, **kwargs)

    def function(
        self,
        function_path: str,
        *args: Any,
        expect: str = "",
        dry: tuple[int, bool] | None = None,
        note_class: str = "",
        **kwargs: Any,
    ) -> Ref:
        """Call a module-level function of the learner's file (``dry`` as for ``call``).

        ``note_class`` (e.g. 'enhanced_consumer.EventConsumer'): while the call runs, note the
        events every object of that class passes to ``process_event`` and what its
        ``consume`` returns (read them with ``class_noted``).
        """
        module, _, function_name = function_path.partition(".")
        self._import(module)
        label = _call_text(function_name, args, kwargs)
        step = _invocation(
            {"op": "call", "function": function_path}, args, kwargs, function_name, dry, note_class=note_class
        )
        return self._add(step, label, expect or "it to return normally")

    def class_noted(self) -> Ref:
        """[events given to the noted class's process_event, values its consume returned]."""
        return self._add({"op": "class_noted"}, "what the consumers inside it did", "")

    def observed(self, target: Ref) -> Ref:
        """The events an observed object's ``process_event`` was given so far, in order."""
        return self._add(
            {"op": "observed", "var": f"v{target.index}"}, f"the events passed to {target.name}.process_event", ""
        )

    def noted(self) -> Ref:
        """The events the run's noting filters were asked about so far, in order."""
        return self._add({"op": "noted"}, "the events the filter was asked about", "")

    def show(self, target: Ref) -> Ref:
        """An earlier step's value, described again now (it may have changed since)."""
        return self._add({"op": "show", "var": f"v{target.index}"}, target.label, "")

    def sleep(self, seconds: float) -> Ref:
        """Let ``seconds`` pass on the worker's simulated clock."""
        return self._add({"op": "sleep", "seconds": seconds}, f"time.sleep({seconds:g})", "")

    def attrs(self, target: Ref, *names: str) -> Ref:
        """Read attributes (counters) of an object."""
        return self._add(
            {"op": "attrs", "var": f"v{target.index}", "names": list(names)}, f"{target.name}.{'/'.join(names)}", ""
        )

    def clock(self) -> Ref:
        """Read the worker's simulated clock (seconds)."""
        return self._add({"op": "clock"}, "the clock", "")
