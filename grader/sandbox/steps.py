"""Runs a script of steps against the learner's code, inside the worker process.

A script is plain JSON made by the trusted side (``grader.harness.script``): import a
module, make an object, call a method, read attributes, read the clock, let simulated time
pass. To see what a consumer reads, an object can be made of a subclass whose
``process_event`` notes each event first (``observe``), a call can note what the objects of
a class do inside it (``note_class``), and a call that polls a dry shard forever can be
ended (``dry``, see ``dry_reads``). Each step's outcome is described as typed JSON
(``describe``), so the trusted side can tell a real ``int`` from an object that only claims
to equal everything. Before each step, a line on the run's result file says which step runs
(``messages.step_started``). Nothing here decides a score.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.sandbox.describe import MAX_ITEMS, describe, describe_exception, printable
from grader.sandbox.dry_reads import HALTED, DryReads, Halted, watching
from grader.sandbox.messages import step_started

# Bound early: learner code may later replace builtins such as type or len.
_type, _isinstance, _len, _str = type, isinstance, len, str


class StepError(Exception):
    """A step could not run because the learner's code is missing something."""


class HungCall(Exception):
    """Learner code called a method that did not finish in an earlier run."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse(key: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise HungCall(key)

    return refused


class Executor:
    """Holds the objects made by a script and runs its steps one by one."""

    def __init__(
        self,
        exercises: Path,
        progress: Callable[[dict[str, Any]], None],
        hung: set[str],
        memory_bytes: int | None = None,
    ) -> None:
        self.exercises = exercises
        self.memory_bytes = memory_bytes
        self.progress = progress
        self.hung = hung
        self.vars: dict[str, Any] = {}
        self.modules: dict[str, Any] = {}
        self.observed: dict[int, list[dict[str, Any]]] = {}  # id of an observed object -> its events
        self.noted: list[dict[str, Any]] = []  # events a noting filter was asked about
        self.class_events: list[dict[str, Any]] = []  # events the noted class's process_event got
        self.class_returns: list[dict[str, Any]] = []  # what the noted class's consume returned
        self._observing: dict[Any, Any] = {}  # learner class -> the grader's subclass of it

    def run(self, steps: list[dict[str, Any]], clock_read: Callable[[], float]) -> list[dict[str, Any]]:
        """Run ``steps`` in order; stop at the first that fails. Returns one outcome per step run."""
        outcomes: list[dict[str, Any]] = []
        for index, step in enumerate(steps):
            self.progress(step_started(index, step.get("label", step["op"]), step.get("key", "")))
            outcome = self._run_one(step, clock_read)
            outcomes.append(outcome)
            if outcome["status"] != "ok":
                break
        return outcomes

    def _run_one(self, step: dict[str, Any], clock_read: Callable[[], float]) -> dict[str, Any]:
        op = step["op"]
        try:
            if op == "clock":
                return {"status": "ok", "value": {"t": "float", "v": clock_read()}}
            if op == "import":
                if step.get("key") in self.hung:  # an import that never finished: not waited for again
                    return {"status": "skipped", "reason": step["key"]}
                self._import(step["module"])
                return {"status": "ok", "value": {"t": "none"}}
            if op == "attrs":
                target = self.vars[step["var"]]
                values = {name: self._attr(target, name) for name in step["names"]}
                return {"status": "ok", "value": {"t": "attrs", "items": values}}
            if op == "observed":
                events = self.observed.get(id(self.vars[step["var"]]), [])
                return {"status": "ok", "value": {"t": "list", "items": events[:MAX_ITEMS], "len": _len(events)}}
            if op == "class_noted":
                lists = [self.class_events, self.class_returns]
                return {
                    "status": "ok",
                    "value": {"t": "list", "items": [{"t": "list", "items": v[:MAX_ITEMS]} for v in lists]},
                }
            if op == "noted":
                return {
                    "status": "ok",
                    "value": {"t": "list", "items": self.noted[:MAX_ITEMS], "len": _len(self.noted)},
                }
            if op == "show":
                return {"status": "ok", "value": describe(self.vars[step["var"]])}
            if op == "sleep":
                import time

                time.sleep(step["seconds"])
                return {"status": "ok", "value": {"t": "none"}}
            if op in ("new", "call"):
                if step.get("key") in self.hung:
                    return {"status": "skipped", "reason": step["key"]}
                func = self._resolve(step)
                if op == "new" and step.get("observe"):
                    func = self._observing_class(func)
                args = [self._materialize(a) for a in step.get("args", [])]
                kwargs = {k: self._materialize(v) for k, v in step.get("kwargs", {}).items()}
                dry = DryReads(*step["dry"]) if step.get("dry") else None
                restore = watching(dry) if dry is not None else None
                unnote = self._note_class(step["note_class"]) if step.get("note_class") else None
                try:
                    result = func(*args, **kwargs)
                except Halted:
                    return {
                        "status": "ok",
                        "value": {"t": "other", "type": HALTED, "repr": f"{dry.reads if dry else 0} reads"},
                    }
                finally:
                    if restore is not None:
                        restore()
                    if unnote is not None:
                        unnote()
                if step.get("save"):
                    self.vars[step["save"]] = result
                return {"status": "ok", "value": describe(result)}
            raise ValueError(f"unknown step {op!r}")
        except StepError as error:
            return {"status": "missing", "message": _str(error)}
        except HungCall as error:  # e.g. consume_stream calling a consume that never returns
            return {"status": "skipped", "reason": error.key}
        except SystemExit as error:
            return {"status": "raised", **describe_exception(error, self.exercises), "exit": True}
        except MemoryError as error:
            limit = f" (the limit is {self.memory_bytes // 2**20} MiB)" if self.memory_bytes else ""
            return {
                "status": "raised",
                **describe_exception(error, self.exercises),
                "message": f"it used too much memory{limit}",
            }
        except BaseException as error:  # learner code may raise anything, even KeyboardInterrupt
            return {"status": "raised", **describe_exception(error, self.exercises)}

    def _observing_class(self, cls: Any) -> Any:
        """The learner's class with a ``process_event`` that first notes the event it is given.

        One subclass per learner class, so class attributes stay shared as the learner wrote
        them; each object's events are kept apart (by object), described when they arrive.
        """
        if not _isinstance(cls, type):
            return cls
        if cls not in self._observing:
            log = self.observed
            original = getattr(cls, "process_event", None)

            def process_event(obj: Any, event: Any, *args: Any, **kwargs: Any) -> Any:
                log.setdefault(id(obj), []).append(describe(event))
                if original is None:
                    raise AttributeError(f"{cls.__name__} has no method named process_event")
                return original(obj, event, *args, **kwargs)

            self._observing[cls] = _type(
                cls.__name__,
                (cls,),
                {"process_event": process_event, "__module__": cls.__module__, "__qualname__": cls.__qualname__},
            )
        return self._observing[cls]

    def _note_class(self, path: str) -> Callable[[], None] | None:
        """While a step runs, note what every object of a learner class is given by
        ``process_event`` and what its ``consume`` returns (e.g. inside ``consume_stream``)."""
        module_name, _, class_name = path.partition(".")
        cls = getattr(self._import(module_name), class_name, None)
        if not _isinstance(cls, type):
            return None
        saved = {name: vars(cls)[name] for name in ("process_event", "consume") if callable(vars(cls).get(name))}
        events, returns = self.class_events, self.class_returns
        process_event, consume = saved.get("process_event"), saved.get("consume")

        def noting_process_event(obj: Any, event: Any, *args: Any, **kwargs: Any) -> Any:
            events.append(describe(event))
            return process_event(obj, event, *args, **kwargs)

        def noting_consume(obj: Any, *args: Any, **kwargs: Any) -> Any:
            result = consume(obj, *args, **kwargs)
            returns.append(describe(result))
            return result

        try:
            if process_event is not None:
                cls.process_event = noting_process_event
            if consume is not None:
                cls.consume = noting_consume
        except (TypeError, AttributeError):
            return None

        def restore() -> None:
            for name, value in saved.items():
                setattr(cls, name, value)

        return restore

    def _import(self, name: str) -> Any:
        if name not in self.modules:
            if not (self.exercises / f"{name}.py").is_file():
                raise StepError(f"the file exercises/{name}.py was not found")
            self.modules[name] = importlib.import_module(name)
            self._disable_hung(self.modules[name])
        return self.modules[name]

    def _disable_hung(self, module: Any) -> None:
        """Make methods that timed out before fail at once, even when learner code calls them.

        Without this, ``consume_stream`` would wait out the wall-clock limit again inside a
        ``consume`` already known to loop forever: one endless loop would cost every check.
        """
        for key in self.hung:
            owner_name, _, method = key.rpartition(".")
            owner = getattr(module, owner_name, None) if owner_name else module
            try:
                if owner is not None and method in vars(owner) and callable(vars(owner)[method]):
                    setattr(owner, method, _refuse(key))
            except (TypeError, AttributeError):
                continue

    def _resolve(self, step: dict[str, Any]) -> Callable[..., Any]:
        if step["op"] == "new" or "function" in step:
            module_name, _, attr = (step.get("cls") or step["function"]).partition(".")
            module = self._import(module_name)
            if not hasattr(module, attr):
                raise StepError(
                    f"{module_name}.py has no {'class' if step['op'] == 'new' else 'function'} named {attr}"
                )
            found = getattr(module, attr)
        else:
            target = self.vars[step["var"]]
            method = step["method"]
            if not hasattr(target, method):
                raise StepError(f"{_type(target).__name__} has no method named {method}")
            found = getattr(target, method)
        if not callable(found):
            raise StepError(f"{step.get('label', 'it')} is not something that can be called")
        return found

    def _attr(self, target: Any, name: str) -> dict[str, Any]:
        try:
            return describe(getattr(target, name))
        except BaseException as error:  # a property may raise anything
            problem = error
            return {"t": "missing", "error": f"{_type(problem).__name__}: {printable(lambda: _str(problem))[:200]}"}

    def _materialize(self, value: Any) -> Any:
        """Turn the JSON stand-ins for functions and objects into real ones."""
        if _isinstance(value, list):
            return [self._materialize(v) for v in value]
        if not _isinstance(value, dict):
            return value
        if "$var" in value:
            return self.vars[value["$var"]]
        if "$key_of" in value:
            field = value["$key_of"]
            return lambda event: event[field]
        if "$field_equals" in value:
            field, wanted = value["$field_equals"]
            return lambda event: _isinstance(event, dict) and event.get(field) == wanted
        if "$noted_field_equals" in value:
            field, wanted = value["$noted_field_equals"]
            noted = self.noted

            def noting_filter(event: Any) -> bool:
                noted.append(describe(event))
                return _isinstance(event, dict) and event.get(field) == wanted

            return noting_filter
        if "$tuple" in value:
            return tuple(self._materialize(v) for v in value["$tuple"])
        return {k: self._materialize(v) for k, v in value.items()}


def prepare_import_path(exercises: Path) -> None:
    """Let ``import enhanced_producer`` find the learner's file and nothing stale.

    The worker compiled the learner's modules into the exercises copy's ``__pycache__``
    (``scratch.compile_exercises``), which runs may read and never write; nothing is written
    from a run. Python checks each cached file against its source's size and time, so
    nothing stale loads.
    """
    sys.path.insert(0, _str(exercises))
    sys.dont_write_bytecode = True
