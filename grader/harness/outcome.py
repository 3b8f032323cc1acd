"""Running a ``Script`` in the sandbox, and what came of it: its decoded values, or the
``Feedback`` that tells the learner, in their words, why it did not run to the end."""

from __future__ import annotations

from typing import Any

from grader.harness.feedback import Feedback, Opaque, decode
from grader.harness.script import Ref, Script
from grader.sandbox.dry_reads import HALTED
from grader.sandbox.runner import GraderFailure, RunResult, Sandbox


def halted(value: Any) -> bool:
    """Whether a call's value says the grader stopped it (see ``Script.call``'s ``dry``)."""
    return isinstance(value, Opaque) and value.type_name == HALTED


class Outcome:
    """Decoded results of a script that ran to the end."""

    def __init__(self, script: Script, result: RunResult) -> None:
        self.script = script
        self.result = result
        self._values = [decode(o.get("value")) for o in result.outcomes]

    def __getitem__(self, ref: Ref) -> Any:
        return self._values[ref.index]


def explain_failure(script: Script, result: RunResult) -> Feedback | None:
    """Return the Feedback for a script that did not run to the end, else None."""
    if result.status == "done":
        for index, outcome in enumerate(result.outcomes):
            if outcome.get("status") != "ok":
                return _step_feedback(script, index, outcome)
        if len(result.outcomes) < len(script.steps):
            return Feedback("your code", "stopped before the grader's script finished", "every step to run")
        return None
    label = result.calling or (script.steps[0]["label"] if script.steps else "your code")
    expect = _expectation(script, label)
    if result.status == "budget":
        return Feedback(
            label,
            f"never finished: {result.detail}",
            expect,
            "a consumer or producer that never stops keeps a real program busy forever; every loop needs a way out",
        )
    if result.status == "unfinished":
        return Feedback(
            label,
            f"was not finished: {result.detail}",
            expect,
            "a grading has a time budget: code that takes seconds of real time in every check spends it",
        )
    if result.status == "timeout":
        return Feedback(
            label,
            f"did not finish: {result.detail} (real time)",
            expect,
            "an endless loop or a call that blocks forever stops your program in its tracks",
        )
    return Feedback(
        label,
        f"crashed: {result.detail}",
        expect,
        "the grader runs your code in a separate process; it ended before it could report",
    )


def _expectation(script: Script, label: str) -> str:
    for step, expect in zip(script.steps, script.expectations):
        if step["label"] == label and expect:
            return expect
    return "it to finish and return"


def _step_feedback(script: Script, index: int, outcome: dict[str, Any]) -> Feedback:
    label = script.steps[index]["label"]
    expect = script.expectations[index] or "it to return normally"
    status = outcome.get("status")
    if status == "missing":
        return Feedback(
            label,
            f"could not be called: {outcome.get('message')}",
            expect,
            "the grader calls the classes, methods and functions named in the exercise; keep their names and "
            "parameters",
        )
    if status == "skipped":
        reason = str(outcome.get("reason") or "")
        if reason and reason != script.steps[index].get("key"):  # it called a method known to hang
            return Feedback(
                label,
                f"was stopped: it called {reason}, which did not finish in an earlier check, so the grader did not "
                "wait for it again",
                expect,
            )
        return Feedback(
            label, "was not run: it did not finish in an earlier check, so the grader did not wait for it again", expect
        )
    where = ""
    frames = outcome.get("frames") or []
    if frames:
        last = frames[-1]
        where = f" ({last.get('file')}, line {last.get('line')}, in {last.get('function')})"
        if last.get("function") == "<module>" and last.get("code"):
            where = f" ({last.get('file')}, line {last.get('line')}: {str(last.get('code')).strip()})"
    kind = outcome.get("type", "an error")
    message = str(outcome.get("message", ""))[:300]
    if kind == "NotImplementedError":
        return Feedback(
            label,
            f"is still a stub: it raised NotImplementedError{where}",
            expect,
            "this part of the exercise is waiting for your code",
        )
    if script.steps[index]["op"] == "import":
        return Feedback(
            label,
            f"raised {kind}: {message}{where}",
            expect,
            "Python stops at the first error in a file: nothing in it can run until the whole file loads",
        )
    if outcome.get("exit"):
        return Feedback(
            label,
            f"tried to end the program (SystemExit {message}){where}",
            expect,
            "a library method should report problems by returning or raising, never by exiting",
        )
    return Feedback(
        label,
        f"raised {kind}: {message}{where}",
        expect,
        "an exception escaping your code stops the program that called it",
    )


def run_script(sandbox: Sandbox, script: Script, **budgets: Any) -> Outcome:
    """Run ``script``; raise Feedback if it did not run to the end."""
    return run_scripts(sandbox, [script], **budgets)[0]


def run_scripts(sandbox: Sandbox, scripts: list[Script], **budgets: Any) -> list[Outcome]:
    """Run several scripts at the same time; raise Feedback for the first that failed."""
    results = sandbox.run_many([s.steps for s in scripts], **budgets)
    for result in results:
        if result.status == "grader":  # not the learner's doing: the check is an error, not a verdict
            raise GraderFailure(result.detail)
    for script, result in zip(scripts, results):
        LAST_OUTPUT.append(result.output)
        feedback = explain_failure(script, result)
        if feedback is not None:
            raise feedback
    return [Outcome(s, r) for s, r in zip(scripts, results)]


# What the learner's code printed during the current test; the plugin empties it per test.
LAST_OUTPUT: list[str] = []
