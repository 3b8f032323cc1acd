"""Self-tests of instructor.stubs: clearing solution regions into learner stubs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from instructor import stubs
from instructor.stubs import MarkerError, generate, outdated, strip_solutions

REPO_ROOT = Path(stubs.__file__).resolve().parent.parent

PRODUCER = '''\
"""Producer."""


class Producer:
    """Sends events."""

    def helper(self) -> int:
        return 1

    def send(self, event: dict) -> dict:
        """Send one event."""
        payload = event
        ### BEGIN SOLUTION [producer.send_event]
        result = {"ok": True}
        return result
        ### END SOLUTION


def top_level() -> int:
    ### BEGIN SOLUTION
    return 42
    ### END SOLUTION
'''

CHECKPOINT = """\
## checkpoint.q1: Question
A) one
B) two
Answer:
### BEGIN SOLUTION [checkpoint.q1]
B
### END SOLUTION

## checkpoint.q2: Next
"""


def test_python_region_becomes_todo_with_indentation_and_method_name() -> None:
    out = strip_solutions(PRODUCER, "producer.py")
    assert "result" not in out
    assert "### BEGIN" not in out and "### END" not in out
    assert "        payload = event\n" in out  # lines outside regions are kept
    assert "        # TODO(producer.send_event): your code here\n" in out
    assert '        raise NotImplementedError("TODO(producer.send_event): implement Producer.send")\n' in out


def test_module_level_function_and_default_task_word() -> None:
    out = strip_solutions(PRODUCER, "producer.py")
    assert "    # TODO(task): your code here\n" in out
    assert '    raise NotImplementedError("TODO(task): implement top_level")\n' in out


def test_generated_stub_compiles() -> None:
    compile(strip_solutions(PRODUCER, "producer.py"), "producer.py", "exec")


def test_markdown_region_is_removed() -> None:
    out = strip_solutions(CHECKPOINT, "checkpoint.md")
    assert out == "## checkpoint.q1: Question\nA) one\nB) two\nAnswer:\n\n## checkpoint.q2: Next\n"


def test_crlf_line_endings_are_kept() -> None:
    text = "def f():\r\n    ### BEGIN SOLUTION\r\n    return 1\r\n    ### END SOLUTION\r\n"
    out = strip_solutions(text, "f.py")
    assert out == (
        'def f():\r\n    # TODO(task): your code here\r\n    raise NotImplementedError("TODO(task): implement f")\r\n'
    )


def test_nested_method_in_class_after_sibling_class() -> None:
    text = (
        "class A:\n    def a(self):\n        pass\n\n\n"
        "class B:\n    def run(self):\n        if True:\n"
        "            ### BEGIN SOLUTION [x.y]\n            pass\n            ### END SOLUTION\n"
    )
    assert 'implement B.run")' in strip_solutions(text, "m.py")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "x = 1\n### BEGIN SOLUTION\ny = 2\n### BEGIN SOLUTION\nz = 3\n### END SOLUTION\n",
            4,
            "nested ### BEGIN SOLUTION (the region opened on line 2 is not closed)",
        ),
        ("x = 1\n### BEGIN SOLUTION\ny = 2\n", 2, "unclosed ### BEGIN SOLUTION"),
        ("x = 1\n\n### END SOLUTION\n", 3, "### END SOLUTION"),
        ("x = 1\n### BEGIN SOLUTION\n\n### END SOLUTION\n", 2, "empty"),
    ],
    ids=["nested", "unclosed", "stray-end", "empty"],
)
def test_marker_errors_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(MarkerError) as caught:
        strip_solutions(text, "solutions/bad.py")
    assert caught.value.line_no == line
    assert str(caught.value).startswith(f"solutions/bad.py:{line}: ")
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_markdown_files_report_marker_errors_too() -> None:
    with pytest.raises(MarkerError, match=r"^a\.md:1: unclosed"):
        strip_solutions("### BEGIN SOLUTION\nB\n", "a.md")


def _make_solutions(root: Path) -> tuple[Path, Path]:
    """A solutions/ dir with a .py, a .md, a dotfile and __pycache__; and an exercises/ path."""
    solutions, exercises = root / "solutions", root / "exercises"
    solutions.mkdir()
    (solutions / "producer.py").write_text(PRODUCER, encoding="utf-8")
    (solutions / "checkpoint.md").write_text(CHECKPOINT, encoding="utf-8")
    (solutions / ".hidden").write_text("secret\n", encoding="utf-8")
    (solutions / "__pycache__").mkdir()
    (solutions / "__pycache__" / "producer.cpython-311.pyc").write_bytes(b"\0")
    return solutions, exercises


def test_generate_writes_one_file_per_reference_file(tmp_path: Path) -> None:
    solutions, exercises = _make_solutions(tmp_path)
    written = generate(solutions, exercises)
    assert sorted(p.name for p in written) == ["checkpoint.md", "producer.py"]
    assert sorted(p.name for p in exercises.iterdir()) == ["checkpoint.md", "producer.py"]
    stub = (exercises / "producer.py").read_text(encoding="utf-8")
    assert stub == strip_solutions(PRODUCER, "producer.py")
    assert outdated(solutions, exercises) == []


def test_generate_rejects_stub_that_does_not_compile(tmp_path: Path) -> None:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    # The broken `def` line is outside the region, so only the compile check can catch it.
    (solutions / "bad.py").write_text(
        "def f(:\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", encoding="utf-8"
    )
    with pytest.raises(MarkerError, match="not valid Python"):
        generate(solutions, exercises)
    assert not (exercises / "bad.py").exists()


def test_outdated_detects_stale_and_missing_files(tmp_path: Path) -> None:
    solutions, exercises = _make_solutions(tmp_path)
    generate(solutions, exercises)
    (exercises / "README.md").write_text("learner readme\n", encoding="utf-8")  # ignored
    assert outdated(solutions, exercises) == []
    (exercises / "producer.py").write_text("# edited by hand\n", encoding="utf-8")
    (exercises / "checkpoint.md").unlink()
    assert outdated(solutions, exercises) == ["checkpoint.md", "producer.py"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m instructor.stubs` the way make does."""
    return subprocess.run(
        [sys.executable, "-m", "instructor.stubs", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_check_and_generate(tmp_path: Path) -> None:
    solutions, exercises = _make_solutions(tmp_path)
    dirs = ("--solutions", str(solutions), "--exercises", str(exercises))

    stale = _cli("check", *dirs, cwd=tmp_path)
    assert stale.returncode == 1
    lines = stale.stdout.splitlines()
    assert lines[0] == stubs.OUTDATED_MESSAGE
    assert [line.strip() for line in lines[1:]] == ["checkpoint.md", "producer.py"]

    made = _cli("generate", *dirs, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == ["exercises/checkpoint.md", "exercises/producer.py"]

    fresh = _cli("check", *dirs, cwd=tmp_path)
    assert (fresh.returncode, fresh.stdout) == (0, "exercises/ is in sync with solutions/\n")


def test_cli_marker_error_exits_2(tmp_path: Path) -> None:
    solutions, exercises = _make_solutions(tmp_path)
    (solutions / "broken.py").write_text("### BEGIN SOLUTION\nx = 1\n", encoding="utf-8")
    for command in ("check", "generate"):
        result = stubs.main([command, "--solutions", str(solutions), "--exercises", str(exercises)])
        assert result == 2
    assert not exercises.exists()  # nothing half-written


def test_cli_marker_error_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solutions, exercises = _make_solutions(tmp_path)
    (solutions / "broken.py").write_text("x = 1\n### END SOLUTION\n", encoding="utf-8")
    assert stubs.main(["check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 2
    assert f"{solutions / 'broken.py'}:2: " in capsys.readouterr().err
