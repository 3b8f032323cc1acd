"""``make similarity GRADES=<dir> SUBMISSIONS=<dir>``: which submissions share long runs of code.

copydetect (winnowing fingerprints over Pygments tokens, names normalised) compares every
learner's ``exercises/*.py`` with every other learner's file of the same name and with the
reference (``solutions/``); the starter code (``exercises/`` of this repository) is boilerplate,
so two learners who only filled in the same scaffold share nothing. Writes
``<GRADES>/similarity.csv`` and ``similarity.json`` (pairs above the threshold, the share of
each side, the longest shared fragment), which the class report shows, and copydetect's own
report, ``similarity-report.html``, with its links to a CDN taken out.

It runs in the instructor's similarity venv (numpy and matplotlib come with copydetect, and
learners never need them): only the standard library and grader.text_safety are imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from grader.text_safety import clean
from instructor.csv_text import csv_text, write_text

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_NAME = "reference (solutions/)"
THRESHOLD = 0.6
MAX_FILE_BYTES = 512 * 1024
FRAGMENT_CHARS = 800
WORK = ".similarity"  # under GRADES: a hidden folder, so never taken for a learner
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_CDN = re.compile(r"<(?:link|script)\b[^>]*\bhttps?://[^>]*>(?:</script>)?", re.IGNORECASE)
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _code_files(folder: Path) -> list[Path]:
    """A submission's Python files to compare: regular files only (never a link), not too big."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    files = []
    for path in sorted(folder.glob("*.py")):
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_FILE_BYTES:
            files.append(path)
    return files


def stage(submissions: Path, grades: Path) -> tuple[Path, dict[str, str]]:
    """Copy every file to compare under ``grades/.similarity/<safe name>/`` (stable paths for
    copydetect's report, names that cannot inject markup); return the folder and safe -> name."""
    work = grades / WORK
    shutil.rmtree(work, ignore_errors=True)
    names: dict[str, str] = {}
    learners = sorted(
        p
        for p in submissions.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.resolve() != grades.resolve()
    )
    for folder, name in [(ROOT / "solutions", REFERENCE_NAME)] + [(p / "exercises", p.name) for p in learners]:
        safe = "_reference" if name == REFERENCE_NAME else "learner-" + _UNSAFE_NAME.sub("_", name)
        while safe in names:
            safe += "_"
        names[safe] = name
        target = work / safe
        target.mkdir(parents=True)
        for path in _code_files(folder):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            (target / path.name).write_text(text, encoding="utf-8")
    return work, names


def _longest(raw: str, slices: Any) -> str:
    """The longest shared run of ``raw``, widened to whole lines."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return ""
    lengths = [int(end) - int(start) for start, end in zip(slices[0], slices[1])]
    best = max(range(len(lengths)), key=lambda i: (lengths[i], -int(slices[0][i])))
    start, end = int(slices[0][best]), int(slices[1][best])
    start = raw.rfind("\n", 0, start) + 1  # whole lines read better than a cut token
    end = len(raw) if raw.find("\n", end) < 0 else raw.find("\n", end)
    return raw[start:end]


def compare(work: Path, names: dict[str, str], threshold: float = THRESHOLD) -> tuple[Any, list[dict[str, Any]]]:
    """Run copydetect; return the detector (for its report) and the pairs above ``threshold``."""
    from copydetect import CopyDetector

    detector = CopyDetector(
        test_dirs=[], ref_dirs=[], same_name_only=True, display_t=threshold, autoopen=False, silent=True
    )
    for path in sorted((ROOT / "exercises").glob("*.py")):
        detector.add_file(str(path), "boilerplate")
    for folder in sorted(work.iterdir()):
        for path in sorted(folder.glob("*.py")):
            detector.add_file(str(path), "ref" if folder.name == "_reference" else "testref")
    detector.run()
    pairs, seen = [], set()
    if len(detector.similarity_matrix) == 0:
        return detector, pairs
    for i, first in enumerate(detector.test_files):
        for j, second in enumerate(detector.ref_files):
            score_first, score_second = (float(v) for v in detector.similarity_matrix[i, j])
            key = frozenset((first, second))
            if score_first < 0 or key in seen or max(score_first, score_second) < threshold:
                continue
            seen.add(key)
            if (first, second) in detector.slice_matrix:
                slices = detector.slice_matrix[(first, second)][0]
            else:  # compared the other way round, or nothing shared at all
                slices = detector.slice_matrix.get((second, first), [[], []])[1]
            fragment = _longest(detector.file_data[first].raw_code, slices)
            a, b = names[Path(first).parent.name], names[Path(second).parent.name]
            if b != REFERENCE_NAME and b < a:
                a, b, score_first, score_second = b, a, score_second, score_first
            pairs.append(
                {
                    "first": a,
                    "second": b,
                    "file": Path(first).name,
                    "first_score": round(score_first, 6),
                    "second_score": round(score_second, 6),
                    "longest_lines": fragment.count("\n") + 1 if fragment else 0,
                    "longest_fragment": clean(fragment[:FRAGMENT_CHARS]),
                }
            )
    pairs.sort(key=lambda p: (-max(p["first_score"], p["second_score"]), p["first"], p["second"], p["file"]))
    return detector, pairs


def _offline(html: str) -> str:
    """copydetect's report without its CDN stylesheet and script, and a policy that loads nothing."""
    html = _CDN.sub("", html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{REPORT_POLICY}">'
    return re.sub(r"<head>", "<head>" + meta, html, count=1, flags=re.IGNORECASE)


def run(grades: Path, submissions: Path, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Compare, then write similarity.json, similarity.csv and similarity-report.html into ``grades``."""
    import copydetect

    work, names = stage(submissions, grades)
    detector, pairs = compare(work, names, threshold)
    result = {
        "library_version": copydetect.__version__,
        "threshold": threshold,
        "files": len(detector.test_files) + sum(1 for f in detector.ref_files if f not in detector.test_files),
        "reference_name": REFERENCE_NAME,
        "pairs": pairs,
    }
    write_text(grades / "similarity.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    header = ["first", "second", "file", "first_score", "second_score", "longest_lines", "longest_fragment"]
    write_text(grades / "similarity.csv", csv_text(header, [[p[key] for key in header] for p in pairs]))
    report = detector.generate_html_report(output_mode="return") if len(detector.similarity_matrix) else None
    if report:
        write_text(grades / "similarity-report.html", _offline(report))
    return result


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # copydetect hashes k-grams with Python's hash(), salted per process unless the seed is
        # fixed: the same code would pick other fingerprints, and other scores, on every run.
        arguments = sys.argv[1:] if argv is None else argv
        os.execve(sys.executable, [sys.executable, "-m", "instructor.similarity", *arguments],
                  {**os.environ, "PYTHONHASHSEED": "0"})  # fmt: skip
    parser = argparse.ArgumentParser(prog="python -m instructor.similarity", description=__doc__.splitlines()[0])
    parser.add_argument("grades", type=Path, help="the OUT folder of make grade-all (results go there)")
    parser.add_argument("submissions", type=Path, help="the SUBMISSIONS folder of make grade-all")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help="flag pairs where a side shares this much")
    args = parser.parse_args(argv)
    for folder in (args.grades, args.submissions):
        if not folder.is_dir():
            print(f"{folder}: not a folder", file=sys.stderr)
            return 2
    result = run(args.grades, args.submissions, args.threshold)
    print(
        f"similarity: {len(result['pairs'])} pair(s) at or above {args.threshold:.0%} among {result['files']} files "
        f"-> {args.grades / 'similarity.csv'} (a hint for a human, never a penalty)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
