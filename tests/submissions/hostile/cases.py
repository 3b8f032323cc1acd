"""Hostile and broken submissions: the reference with one hostile change each.

Each case names what it does to the reference (``patches``), the files it adds (its folder
``tests/submissions/hostile/<id>/``, laid out like a learner's repository) or generates (large
or binary files are made at test time, never stored), and what grading must conclude: which
tasks lose points (every other task keeps all of its points) and a phrase of the message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.mutants.patching import Patch
from tests.submissions.hostile import answer_files
from tests.submissions.hostile.hostile_text import HOSTILE, SURROGATE

HERE = Path(__file__).resolve().parent
P, C = "enhanced_producer.py", "enhanced_consumer.py"
PRODUCER_TASKS = {
    "producer.stream_setup",
    "producer.send_event",
    "producer.ordering",
    "producer.counters",
    "producer.stats",
    "producer.concurrency",
}
CONSUMER_TASKS = {
    "consumer.read_shard",
    "consumer.all_shards",
    "consumer.stopping",
    "consumer.throughput",
    "consumer.filtering",
    "consumer.independence",
}
CHOICE_TASKS = {"checkpoint.q1", "checkpoint.q2", "discussion.q3"}
# Learner processes started by the hostile code carry this in their command line.
MARKER = "hostile-lingering-marker"

STATS = '        description = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]\n'
IMPORTS_P = "import boto3\nfrom botocore.exceptions import BotoCoreError, ClientError\n"
IMPORTS_C = "import boto3\nfrom botocore.exceptions import ClientError\n"
CONSUME_START = '        print(f"Starting consumer for {self.stream_name}/{self.shard_id}\\n")\n'


def in_stats(code: str) -> Patch:
    """Run ``code`` at the start of the producer's get_stats (an 8-space indented block)."""
    return (P, STATS, code + STATS)


def at_import(file: str, code: str) -> Patch:
    """Run ``code`` when the module is imported."""
    imports = IMPORTS_P if file == P else IMPORTS_C
    return (file, imports, imports + "\n" + code + "\n")


@dataclass
class Case:
    """One hostile submission and the verdict grading must reach."""

    id: str
    what: str
    patches: list[Patch] = field(default_factory=list)
    loses: set[str] = field(default_factory=set)  # tasks that must score below full marks
    message: str = ""  # a phrase of the failure message of those tasks
    seconds: float = 60.0  # about how long grading it takes: the slowest are graded first
    include_hidden: bool = False
    extra_args: list[str] = field(default_factory=list)
    generate: Callable[[Path], None] | None = None
    module: str = ""  # "producer" or "consumer": grade only that module's tests (-k), to save time
    escape: bool = False  # attacks the sandbox itself: also graded in every other environment the machine can make

    def __post_init__(self) -> None:
        if self.module:
            self.extra_args = ["-k", self.module]

    @property
    def overlay(self) -> Path:
        """Files this case adds, laid out like a learner's repository."""
        return HERE / self.id


def _answers(data: bytes) -> Callable[[Path], None]:
    def write(exercises: Path) -> None:
        (exercises / "checkpoint.md").write_bytes(data)

    return write


def _huge_answers(exercises: Path) -> None:
    with open(exercises / "checkpoint.md", "wb") as handle:
        handle.write(b"## checkpoint.q1: Producers and consumers\n\nAnswer: C\n")
        handle.write((b"A" * 1023 + b"\n") * (50 * 1024))


def _slow_answers(make: Callable[[], str]) -> Callable[[Path], None]:
    def write(exercises: Path) -> None:
        (exercises / "checkpoint.md").write_text(make(), encoding="utf-8")

    return write


def _long_line_answers(exercises: Path) -> None:
    sheet = exercises / "checkpoint.md"
    sheet.write_text(answer_files.long_lines(sheet.read_text(encoding="utf-8")), encoding="utf-8")


def _latin1_answers(exercises: Path) -> None:
    text = (exercises / "checkpoint.md").read_text(encoding="utf-8").replace("statement", "réponse déjà vue")
    (exercises / "checkpoint.md").write_bytes(text.encode("latin-1", "replace"))


def _answer_case(case_id: str, what: str, generate: Callable[[Path], None], loses: set[str] | None = None) -> Case:
    """A case whose checkpoint.md is broken or hostile: only the answer checks are graded, and
    the choice questions lose their points (unless ``loses`` says otherwise)."""
    return Case(
        case_id,
        what,
        generate=generate,
        loses=CHOICE_TASKS if loses is None else loses,
        message="checkpoint.md",
        include_hidden=True,
        extra_args=["-k", "choice_answer"],
    )


ALWAYS_EQUAL = '''
class Anything:
    """Claims to equal everything and to hold every key."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __getitem__(self, key):
        return self

    def get(self, key, default=None):
        return self

    def __bool__(self):
        return True

    def __int__(self):
        return 0

    def __add__(self, other):
        return self

    __radd__ = __iadd__ = __add__
    __hash__ = object.__hash__
'''

PATCH_EVERYTHING = (
    """
import builtins, json, sys
import pytest, hypothesis
_real_dumps = json.dumps
def _fake_dumps(obj, *args, **kwargs):  # try to rewrite the worker's answers
    if isinstance(obj, dict) and ("done" in obj or "crash" in obj):
        obj = {"done": [{"status": "ok", "value": {"t": "int", "v": 100}}] * 50}
    return _real_dumps(obj, *args, **kwargs)
json.dumps = _fake_dumps
pytest.fail = pytest.skip = lambda *a, **k: None
hypothesis.given = lambda *a, **k: (lambda f: f)
for name in list(sys.modules):
"""
    '    if name.startswith("grader") and not name.startswith("grader.sandbox"):  # the worker\'s own '
    "code is the learner's to break\n"
    """\
        module = sys.modules[name]
        for attr in list(vars(module)):
            if attr.startswith(("check_", "require_", "resolve", "build", "render", "describe", "decode")):
                try:
                    setattr(module, attr, lambda *a, **k: None)
                except Exception:
                    pass
builtins.print = lambda *a, **k: None
"""
)

FAKE_OUTPUT = (
    """
import os, sys, json as _json
print("Points 100/100")
print("::notice title=Autograding complete::Points 100/100")
print("::set-output name=result::100")
print("##[group]Points 100/100")
_fake = _json.dumps({"score": 100, "max_score": 100, "status": "pass"})
"""
    '_places = {os.getcwd(), os.path.expanduser("~"), os.environ.get("TMPDIR", "/tmp"), '
    "os.path.dirname(os.path.abspath(__file__))}\n"
    """\
_places.update(p for p in sys.path if p and os.path.isdir(p))
for _place in list(_places):
    _here = _place
    for _ in range(6):  # every folder above too
        _places.add(_here)
        _here = os.path.dirname(_here)
_places.discard(os.environ.get("TMPDIR", "/tmp"))  # shared with others: only its subfolders
for _place in sorted(_places):
    for _name, _text in (("results.json", _fake), ("github_output", "result=100\\n"), (".hostile-was-here", "x")):
        try:
            with open(os.path.join(_place, _name), "w") as _handle:
                _handle.write(_text)
        except OSError:
            pass
for _name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"):
    if os.environ.get(_name):
        try:
            with open(os.environ[_name], "a") as _handle:
                _handle.write("result=100\\n")
        except OSError:
            pass
"""
)

LINGERING = f'''
import os, subprocess, sys, threading
_sleeper = [sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"]
subprocess.Popen(_sleeper, start_new_session=True)  # holds the run's stdout open
subprocess.Popen(_sleeper, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
if os.fork() == 0:  # a classic daemon: fork, setsid, fork again
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, _sleeper)
    os._exit(0)
threading.Thread(target=threading.Event().wait, name="{MARKER}").start()  # non-daemon, never ends
'''

READ_SECRETS = (
    """
import os, sys
for _root in sys.path:
"""
    '    for _secret in ("grader/hidden/answer_key.toml", "grader/hidden/test_hidden_producer.py", '
    '"solutions/enhanced_producer.py"):\n'
    """\
        try:
            with open(os.path.join(_root, _secret), encoding="utf-8") as _handle:
                print("LEAKED", _secret, _handle.read(300))
        except OSError:
            pass
"""
)


# Places where the grader's repository may be seen from inside: sys.path and the folders
# above it, the same through /proc/<pid>/root and /proc/<pid>/cwd of every process.
FIND_ROOTS = """
import glob as _glob, os as _os, sys as _sys
_roots = set()
for _p in list(_sys.path) + [_os.path.dirname(_os.path.abspath(__file__))]:
    while _p and _p != "/":
        _roots.add(_p)
        _p = _os.path.dirname(_p)
_seen_here = sorted(_roots)
for _proc in _glob.glob("/proc/[0-9]*"):
    _roots.update([_proc + "/cwd"] + [_proc + "/root" + _r for _r in _seen_here])
"""

# Takes the reference from solutions/ or from the history in .git, runs it in place of the
# learner's own classes, and leaves a backdoor in the grader; each try is printed.
STEALS_THE_REFERENCE = (
    FIND_ROOTS + """
import subprocess as _subprocess
_stolen = None
for _root in sorted(_roots):
    for _name in ("grade.py", "hostile_backdoor.py"):
        try:
            with open(_os.path.join(_root, "grader", _name), "a") as _handle:
                _handle.write("\\n# hostile backdoor\\n")
            print("BACKDOOR", _root, _name)
        except OSError:
            pass
"""
    '    for _secret in ("solutions/enhanced_producer.py", "grader/hidden/answer_key.toml", '
    '"grader/hidden/test_hidden_producer.py"):\n'
    """\
        try:
            with open(_os.path.join(_root, _secret), encoding="utf-8") as _handle:
                _text = _handle.read()
            print("LEAKED", _secret, _text[:200])
            if _secret.startswith("solutions") and _stolen is None:
                _stolen = _text
        except OSError:
            pass
    if _stolen is None and _os.path.isdir(_os.path.join(_root, ".git")):
        try:
            _done = _subprocess.run(["git", "-C", _root, "show", "HEAD:solutions/enhanced_producer.py"],
                                    capture_output=True, text=True, timeout=10)
            if _done.returncode == 0 and "class EventProducer" in _done.stdout:
                _stolen = _done.stdout
                print("LEAKED git history", _stolen[:200])
        except Exception:
            pass
if _stolen:
    exec(compile(_stolen, "stolen", "exec"), globals())
"""
)

# Fake results where the grader keeps its own: a part's result file, the runs' result files.
FORGES_RESULTS = """
import glob as _glob, json as _json, os as _os, tempfile as _tempfile
_fake_run = _json.dumps({"done": [{"status": "ok", "value": {"t": "int", "v": 100}}] * 40}) + "\\n"
_fake_part = _json.dumps({"results": [], "problems": []})
_folders = set()
for _base in {_tempfile.gettempdir(), "/tmp", "/var/tmp", _os.path.dirname(_os.environ.get("TMPDIR", "/tmp"))}:
    _folders.update(_glob.glob(_os.path.join(_base, "grader-*")) + _glob.glob(_os.path.join(_base, "grader-*", "*")))
    _here = _os.environ.get("TMPDIR", "")
    while _here and _here != "/":
        _folders.add(_here)
        _here = _os.path.dirname(_here)
_own = _os.path.dirname(_os.environ.get("TMPDIR", "/tmp"))  # the learner's own folder: writing there is allowed
for _folder in sorted(_f for _f in _folders if not _os.path.realpath(_f).startswith(_os.path.realpath(_own))):
    for _index in range(1, 40):
        for _name, _text in ((f"run-{_index}.jsonl", _fake_run), (f"part-{_index}.json", _fake_part)):
            try:
                with open(_os.path.join(_folder, _name), "w") as _handle:
                    _handle.write(_text)
                print("FORGED", _folder, _name)
            except OSError:
                pass
            if _index > 3 and _name.startswith("part"):
                break
"""


def _with_target(case_id: str, code: str) -> Callable[[Path], None]:
    """Append ``code`` to the producer, and write where the grading's OUT is (as a learner
    who knows the workflow's layout would): the self-test puts OUT at <base>/out/<case>."""

    def write(exercises: Path) -> None:
        (exercises / "target.txt").write_text(str(exercises.parent.parent / "out" / case_id), encoding="utf-8")
        with open(exercises / P, "a", encoding="utf-8") as handle:
            handle.write("\n" + code + "\n")

    return write


def _append(code: str) -> Callable[[Path], None]:
    def write(exercises: Path) -> None:
        with open(exercises / P, "a", encoding="utf-8") as handle:
            handle.write("\n" + code + "\n")

    return write


# Starts a process in a new session with an empty environment, kills the worker that would
# sweep it, and lets that process rewrite OUT/results.json for 15 s, long after the grader exits.
OUTLIVES_THE_RUN = f'''
import os as _os, signal as _signal, sys as _sys
with open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "target.txt"), encoding="utf-8") as _handle:
    _target = _handle.read().strip()
_writer = (
    "import json, os, time\\n"
    f"target = {{_target!r}}\\n"
    "for _ in range(150):\\n"
    "    try:\\n"
    "        with open(os.path.join(target, 'results.json'), 'w') as handle:\\n"
    "            handle.write(json.dumps({{'score': 100, 'max_score': 100, 'status': 'pass'}}))\\n"
    "    except OSError:\\n"
    "        pass\\n"
    "    time.sleep(0.1)\\n"
)
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execve(_sys.executable, [_sys.executable, "-c", _writer, "{MARKER}"], {{}})
    _os._exit(0)
for _pid in (_os.getppid(), 1):
    try:
        _os.kill(_pid, _signal.SIGKILL)  # the worker, before it sweeps (pid 1 only in its own namespace)
    except OSError:
        pass
'''

# Replaces its temporary folder by a link to the worker's own folder (two levels up), hoping
# the worker empties it after the run, result files included.
LINKS_ITS_TEMP_FOLDER = """
import os as _os
_tmp = _os.environ.get("TMPDIR", "")
if _tmp and not _os.path.islink(_tmp):
    try:
        _os.rename(_tmp, _tmp + ".moved")
        _os.symlink(_os.path.dirname(_os.path.dirname(_tmp)), _tmp)
    except OSError:
        pass
"""

HANGS_AT_IMPORT = "while True:\n    pass"

LONE_SURROGATE = "        raise RuntimeError('bad text \\udc80 and \\ud800 here')\n"


CASES: list[Case] = [
    Case(
        "exit_at_import",
        "os._exit(3) when the producer module is imported",
        [at_import(P, "import os\nos._exit(3)")],
        PRODUCER_TASKS,
        "exited with code 3",
    ),
    Case(
        "system_exit_in_method",
        "get_stats raises SystemExit",
        [in_stats("        raise SystemExit(0)\n")],
        {"producer.stats"},
        "tried to end the program",
        module="producer",
    ),
    Case(
        "endless_loop",
        "consume spins in `while True: pass`",
        [(C, CONSUME_START, "        while True:\n            pass\n" + CONSUME_START)],
        CONSUMER_TASKS,
        "did not finish",
        seconds=30.0,
        include_hidden=True,
    ),
    Case(
        "blocking_call",
        "get_stats waits on an event nobody sets",
        [in_stats("        import threading\n        threading.Event().wait()\n")],
        {"producer.stats"},
        "did not finish",
        module="producer",
    ),
    Case(
        "huge_allocation",
        "get_stats allocates 8 GiB",
        [in_stats("        hoard = bytearray(8 * 2**30)\n")],
        {"producer.stats"},
        "used too much memory",
        module="producer",
    ),
    Case(
        "patches_the_grader",
        "patches pytest, hypothesis, the grader, json and builtins at import, and counts characters",
        [
            at_import(C, PATCH_EVERYTHING),
            (
                C,
                'self.bytes_processed += len(record["Data"])',
                'self.bytes_processed += len(record["Data"].decode("utf-8"))',
            ),
        ],
        {"consumer.read_shard"},
        "bytes_processed",
        module="consumer",
    ),
    Case(
        "fake_output",
        "prints fake points and workflow commands, writes fake results everywhere",
        [at_import(P, FAKE_OUTPUT), in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
    ),
    Case(
        "always_equal",
        "counters and results are objects equal to everything",
        [
            at_import(P, ALWAYS_EQUAL),
            (
                P,
                "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n        return {",
                "        self.events_sent = self.bytes_sent = Anything()\n        return Anything() or {",
            ),
            (C, '            "duration_seconds": duration,', '            "duration_seconds": Anything(),'),
            at_import(C, ALWAYS_EQUAL),
        ],
        # send_batch's results are then Anything objects too: not one result dict per event.
        {
            "producer.send_event",
            "producer.ordering",
            "producer.counters",
            "producer.concurrency",
            "consumer.throughput",
        },
        "Anything",
    ),
    Case(
        "config_files",
        "conftest.py, pytest.ini, pyproject.toml and edited public tests; get_stats broken",
        [in_stats("        return {}\n")],
        {"producer.stats"},
        "get_stats",
        module="producer",
    ),
    Case(
        "reads_secrets",
        "prints the answer key, hidden tests and reference solution if it can find them",
        [at_import(P, READ_SECRETS), in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
        escape=True,
    ),
    Case(
        "lingering_processes",
        "leaves children, a setsid daemon and a non-daemon thread running",
        [at_import(P, LINGERING)],
        set(),
        "",
        module="producer",
        escape=True,
    ),
    Case(
        "huge_output",
        "get_stats prints 100 MB",
        [in_stats("        print('x' * 100_000_000)\n")],
        set(),
        "",
        module="producer",
    ),
    Case(
        "syntax_error",
        "the consumer does not parse",
        [(C, "class EventConsumer:", "class EventConsumer\n")],
        CONSUMER_TASKS,
        "SyntaxError",
    ),
    Case(
        "missing_method",
        "the producer has no get_stats",
        [(P, "    def get_stats(self)", "    def stats(self)")],
        {"producer.stats"},
        "no method named get_stats",
        module="producer",
    ),
    Case(
        "missing_class",
        "the consumer class is renamed",
        [
            (C, "class EventConsumer:", "class Consumer:"),
            (
                C,
                "consumer = EventConsumer(stream_name, shard_id, client",
                "consumer = Consumer(stream_name, shard_id, client",
            ),
        ],
        CONSUMER_TASKS - {"consumer.all_shards"},
        "no class named EventConsumer",
        module="consumer",
    ),
    Case(
        "wrong_signature",
        "producer get_stats needs an argument",
        [(P, "    def get_stats(self)", "    def get_stats(self, verbose)")],
        {"producer.stats"},
        "TypeError",
        module="producer",
    ),
    Case(
        "wrong_return_types",
        "get_stats gives the shard count as text",
        [(P, '"shards": len(description["Shards"]),', '"shards": str(len(description["Shards"])),')],
        {"producer.stats"},
        "shards",
        module="producer",
    ),
    Case(
        "steals_the_reference",
        "takes the reference from solutions/ or .git (also through /proc), leaves a backdoor in the grader",
        [in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
        generate=_append(STEALS_THE_REFERENCE),
        escape=True,
    ),
    Case(
        "forges_results",
        "writes fake run and part results wherever the grader may keep its own",
        [at_import(P, FORGES_RESULTS), in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
        escape=True,
    ),
    Case(
        "outlives_the_run",
        "a process in a new session with an empty environment kills the worker, then rewrites OUT",
        [in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
        generate=_with_target("outlives_the_run", OUTLIVES_THE_RUN),
        escape=True,
    ),
    Case(
        "hangs_at_import",
        "the consumer module loops forever when imported",
        [at_import(C, HANGS_AT_IMPORT)],
        CONSUMER_TASKS,
        "did not finish",
        seconds=30.0,
        module="consumer",
        escape=True,
    ),
    Case(
        "links_its_temp_folder",
        "replaces its temporary folder by a link to the worker's folder",
        [at_import(P, LINKS_ITS_TEMP_FOLDER), in_stats("        raise RuntimeError('no stats')\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
    ),
    Case(
        "lone_surrogate",
        "get_stats raises an exception whose message holds lone surrogates",
        [in_stats(LONE_SURROGATE)],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
    ),
    Case(
        "hostile_text",
        "get_stats prints and raises escape sequences, OSC 8/52, bidi overrides, a fence closer, Markdown and HTML",
        [in_stats(f"        print({HOSTILE + SURROGATE!r})\n        raise RuntimeError({HOSTILE + SURROGATE!r})\n")],
        {"producer.stats"},
        "RuntimeError",
        module="producer",
    ),
    _answer_case("answers_empty", "checkpoint.md is empty", _answers(b"")),
    _answer_case("answers_binary", "checkpoint.md is binary", _answers(bytes(range(256)) * 64)),
    _answer_case("answers_huge", "checkpoint.md is 50 MB", _huge_answers),
    _answer_case(
        "answers_white_space_runs",
        "checkpoint.md holds headings, labels and options followed by 100,000 spaces",
        _slow_answers(answer_files.white_space_runs),
    ),
    _answer_case(
        "answers_many_headings",
        "checkpoint.md is 60,000 headings that almost name a question",
        _slow_answers(answer_files.many_headings),
    ),
    _answer_case(
        "answers_long_lines",
        "the right answers, then a 500,000-character line and one of white space only",
        _long_line_answers,
        loses=set(),
    ),
    _answer_case("answers_latin1", "checkpoint.md is encoded in latin-1", _latin1_answers),
    _answer_case(
        "answers_wrong_format", "checkpoint.md has no question headings", _answers(b"My answers: 1) C 2) D 3) B\n")
    ),
]
