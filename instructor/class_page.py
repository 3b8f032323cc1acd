"""The class report as one static HTML page, rendered from the figures of class-report.json.

The page loads nothing and runs nothing: no script, no external file, charts as inline SVG,
and a Content-Security-Policy that forbids both (only its own style block, by hash, is
allowed). Every learner text goes through grader.text_safety.html_text.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from grader.pipeline.report import number
from grader.text_safety import html_text
from instructor.class_svg import figure, table

SHOWN_FAILURE_GROUPS = 25
SHOWN_ANSWER_CHARS = 1500
STYLE = """
body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:1.5rem;line-height:1.4;max-width:80rem}
h1,h2,h3{color:#1a1a1a}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #767676;padding:.2rem .45rem;vertical-align:top;text-align:left}
thead th{background:#e8eef4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.side{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure.pair{margin:.5rem 0 1.5rem 0}
figcaption{font-weight:bold}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(36rem,1fr));gap:0 2rem}
.note{border-left:4px solid #1f4e79;padding:.3rem .8rem;background:#f3f6f9}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.9em}
dl.answers dt{font-weight:bold;margin-top:.7rem}
dl.answers dd{margin:.15rem 0 0 1rem;padding-left:.6rem;border-left:3px solid #767676;white-space:pre-wrap}
.flag{font-weight:bold}
"""


def style_hash() -> str:
    """The CSP source that allows exactly the page's own style block."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _correlation(value: float | None) -> str:
    return "undefined (no variance)" if value is None else f"{value:.2f}"


def _header(head: dict[str, Any]) -> str:
    levels = ", ".join(f"{html_text(level)} ({count})" for level, count in head["levels"].items()) or "–"
    rows = [
        ["Submissions", str(head["submissions"])],
        ["Graded", str(head["graded"])],
        ["Errors (not scores)", str(head["errors"])],
        ["Not submitted by the deadline", str(head.get("not_submitted", 0))],
        ["Level graded", levels],
        ["Grader version", html_text(head["grader_version"])],
        [
            "When it ran",
            html_text(head["ran_at"] or "unknown") + f" <small>({html_text(head['ran_at_source'])})</small>",
        ],
        ["Names", "replaced by pseudonyms" if head["anonymised"] else "as in the grades folder"],
    ]
    return table(["Figure", "Value"], rows, numeric_from=9)


def _scores(scores: dict[str, Any]) -> str:
    bins = scores["histogram"]
    labels = [f"{number(b['from'])}–{number(b['to'])}" for b in bins]
    chart = figure(
        "chart-scores", "Total scores of graded learners", labels, [b["learners"] for b in bins], ["Points", "Learners"]
    )
    stats = scores["summary"]
    rows = [
        [name, _num(stats[key])]
        for name, key in (
            ("Mean", "mean"),
            ("Median", "median"),
            ("Standard deviation (n − 1)", "sd"),
            ("First quartile", "q1"),
            ("Third quartile", "q3"),
            ("Lowest", "min"),
            ("Highest", "max"),
        )
    ]
    return chart + table(["Statistic", f"Points out of {number(scores['max_score'])}"], rows)


def _tasks(tasks: list[dict[str, Any]], meanings: dict[str, str]) -> str:
    rows = [
        [
            html_text(f"{t['number']}. {t['id']}"),
            number(t["max_score"]),
            _num(t["mean"]),
            _pct(t["full_share"]),
            html_text(_correlation(t["item_rest"])),
            "; ".join(f'<span class="flag">⚑ {html_text(f)}</span>' for f in t["flags"]) or "–",
        ]
        for t in tasks
    ]
    legend = "".join(f"<li><strong>⚑ {html_text(k)}</strong>: {html_text(v)}</li>" for k, v in meanings.items())
    charts = "".join(
        figure(
            f"chart-task-{i}",
            f"{t['number']}. {t['id']}: learners per points",
            [number(d["points"]) for d in t["distribution"]],
            [d["learners"] for d in t["distribution"]],
            ["Points", "Learners"],
            width=300,
        )
        for i, t in enumerate(tasks)
    )
    return (
        table(["Task", "Max", "Mean", "At full marks", "Item-rest correlation", "Flags"], rows)
        + f"<p>What a flag may mean:</p><ul>{legend}</ul>"
        + "<p>Item-rest correlation: the Pearson correlation, over graded learners, of the task's points with "
        "the total without that task; undefined when either side is the same for everyone.</p>"
        + f'<h3>Points per task</h3><div class="grid">{charts}</div>'
    )


def _checks(checks: list[dict[str, Any]]) -> str:
    rows = [
        [
            html_text(c["check"]),
            html_text(c["task"]),
            c["visibility"] + ("" if c["scored"] else " (no points)"),
            f"{c['passed']} / {c['run']}",
            _pct(c["pass_rate"]),
        ]
        for c in checks
    ]
    return table(["Check", "Task", "Kind", "Passed", "Pass rate"], rows, numeric_from=3)


def _failures(groups: list[dict[str, Any]]) -> str:
    rows = [
        [
            html_text(g["task"]),
            f"{_pct(g['share'])} ({g['learners']})",
            f"<pre>{html_text(g['example'])}</pre><small>checks: {html_text(', '.join(g['checks']))}</small>",
            f"<details><summary>hint</summary>{html_text(g['hint'])}</details>",
        ]
        for g in groups[:SHOWN_FAILURE_GROUPS]
    ]
    more = len(groups) - SHOWN_FAILURE_GROUPS
    tail = f"<p>{more} smaller groups are in class-failures.csv.</p>" if more > 0 else ""
    return (
        "<p>Failed checks grouped by task and message; messages that differ only in generated values (numbers, "
        "ids, shard ids, sequence numbers, the values of generated events) are one group.</p>"
        + table(["Task", "Learners", "One example", "The task's hint"], rows, numeric_from=9)
        + tail
    )


def _choices(choices: list[dict[str, Any]]) -> str:
    parts = []
    for i, question in enumerate(choices):
        labels = [letter + (" (key)" if letter == question["key"] else "") for letter in question["counts"]]
        parts.append(
            figure(
                f"chart-choice-{i}",
                f"{question['question']}: learners per answer",
                labels,
                list(question["counts"].values()),
                ["Answer", "Learners"],
                width=300,
            )
        )
    return '<div class="grid">' + "".join(parts) + "</div>"


def _written(written: list[dict[str, Any]]) -> str:
    """Each question's answers one after another; those who wrote nothing on one line."""
    parts = []
    for question in written:
        parts.append(f"<h3>{html_text(question['question'])}: {html_text(question['title'])}</h3>")
        entries, empty = [], []
        for answer in question["answers"]:
            text, who = answer["answer"], html_text(answer["learner"])
            points = "" if answer["points"] is None else f" <small>manual points: {number(answer['points'])}</small>"
            if not text.strip():
                empty.append(who + points)
                continue
            shown = (
                text
                if len(text) <= SHOWN_ANSWER_CHARS
                else text[:SHOWN_ANSWER_CHARS] + " … (cut: see class-written.csv)"
            )
            entries.append(f"<dt>{who}{points}</dt><dd>{html_text(shown)}</dd>")
        parts.append(f'<dl class="answers">{"".join(entries)}</dl>' if entries else "")
        if empty:
            parts.append(f"<p>No answer ({len(empty)}): {', '.join(empty)}</p>")
    return "".join(parts)


def _attention(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>Nobody: no error, no zero score, no task left untouched.</p>"
    return table(
        ["Learner", "Why"],
        [[html_text(r["learner"]), html_text("; ".join(r["reasons"]))] for r in rows],
        numeric_from=9,
    )


def _similarity(similarity: dict[str, Any] | None) -> str:
    notice = (
        '<p class="note"><strong>A hint for a human, never a penalty.</strong> A high score means two files share '
        "long runs of the same tokens once names are ignored and the starter code is left out; look at both "
        "before concluding anything.</p>"
    )
    if not similarity:
        return (
            notice
            + "<p>Not run for this folder: <code>make similarity GRADES=&lt;dir&gt; SUBMISSIONS=&lt;dir&gt;</code>.</p>"
        )
    rows = [
        [
            html_text(f"{p['first']} ↔ {p['second']}"),
            html_text(p["file"]),
            _pct(p["first_score"]),
            _pct(p["second_score"]),
            (
                f"<details><summary>{p['longest_lines']} lines</summary>"
                f"<pre>{html_text(p['longest_fragment'])}</pre></details>"
            ),
        ]
        for p in similarity["pairs"]
    ]
    found = (
        table(
            ["Pair", "File", "Share of the first", "Share of the second", "Longest shared fragment"],
            rows,
            numeric_from=2,
        )
        if rows
        else "<p>No pair above the threshold.</p>"
    )
    return (
        notice + f"<p>{similarity['files']} files compared with copydetect {html_text(similarity['library_version'])}; "
        f"pairs where either side shares at least {_pct(similarity['threshold'])} of its tokens. The reference "
        "solution takes part as <em>reference</em>; the starter code is left out as boilerplate. "
        'copydetect\'s own report: <a href="similarity-report.html">similarity-report.html</a>.</p>' + found
    )


def render(report: dict[str, Any]) -> str:
    """The whole page."""
    policy = f"default-src 'none'; style-src {style_hash()}; img-src data:; base-uri 'none'; form-action 'none'"
    sections = [
        ("summary", "The batch", _header(report["header"])),
        ("scores", "Score distribution", _scores(report["scores"])),
        ("tasks", "Per task", _tasks(report["tasks"], report["flag_meanings"])),
        ("checks", "Per check", _checks(report["checks"])),
        ("failures", "The most common failures", _failures(report["failures"])),
        ("choices", "Multiple-choice answers", _choices(report["choices"])),
        ("written", "Written answers", _written(report["written"])),
        ("attention", "Learners needing attention", _attention(report["attention"])),
        ("similarity", "Similarity", _similarity(report["similarity"])),
    ]
    nav = " · ".join(f'<a href="#{key}">{title}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{title}</h2>{html}</section>' for key, title, html in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Class report</title><style>{STYLE}</style></head>"
        f"<body><h1>Class report</h1><nav>{nav}</nav>{body}</body></html>\n"
    )
