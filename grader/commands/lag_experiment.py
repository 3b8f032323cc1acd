"""The lag experiment: the learner's producer outpaces their consumer, and the gap is charted and explained.

The child side (the job ``lag``) is ``grader.commands.lag_job``; this is the parent's: it
starts the job, draws the charts and writes the conclusion from the measured figures.
"""

from __future__ import annotations

from typing import Any

from grader.commands import charts
from grader.commands.children import run_job
from grader.commands.heartbeat import Heartbeat
from grader.commands.lab import CHILD_TIMEOUT, Lab

# Discussion question 2 of the module: the producer sends 150 events/s, the consumer handles 100.
LAG_SECONDS, PRODUCE_RATE, CONSUME_RATE, LAG_BATCH = 3.0, 150.0, 100.0, 30
PREMISE_SHARE = 0.9  # a consumer handling at least this share of CONSUME_RATE is the one of the premise


def lag(lab: Lab) -> int:
    """Consumer lag: the producer outpaces the consumer and the gap grows every poll.

    It runs on a simulated clock (sleeps cost nothing, each Kinesis call 5 ms), so its figures
    are the same on every machine; every sentence of the conclusion comes from them."""
    print(
        f"Your producer sends {PRODUCE_RATE:g} events/s to a 1-shard stream for {LAG_SECONDS:g} s while your consumer\n"
        f"handles {CONSUME_RATE:g} events/s: {1000 / CONSUME_RATE:g} ms of work per event. While it is behind, its "
        "pauses between reads\ncount as time it works in, so however your code paces its reads it keeps that rate "
        f"(a poll gets {LAG_BATCH} records,\nmore after a pause).\n"
        "Both run on a simulated clock, so these figures are the same on every machine.\n"
    )
    if getattr(lab, "kinesis", None) is not None:
        # The server would count its per-shard limits in real time here (the experiment's clock
        # lives in its own child), and then the figures would depend on the machine's speed.
        lab.kinesis.enforce_limits = False
    job = {
        "stream": lab.stream,
        "seconds": LAG_SECONDS,
        "produce_rate": PRODUCE_RATE,
        "consume_rate": CONSUME_RATE,
        "batch": LAG_BATCH,
    }
    with Heartbeat("the lag experiment", lab.activity()) as heartbeat:
        result = run_job(lab.folder, "lag", job, lab.env, timeout=CHILD_TIMEOUT, echo=True, heartbeat=heartbeat)
    if lab.failed("lag experiment", [result]):
        return 1
    figures = lag_figures(result.result)
    print()
    for series in lag_series(result.result):
        print(charts.text_chart(series))
    if lab.svg is not None:
        lab.svg.parent.mkdir(parents=True, exist_ok=True)
        lab.svg.write_text(
            charts.svg_chart(lag_series(result.result), "Consumer lag: the lag experiment"), encoding="utf-8"
        )
        print(f"The same charts as a picture: {lab.svg} (open it in a browser).\n")
    print(lag_conclusion(figures))
    return 0


def lag_series(result: dict[str, Any]) -> list[charts.Series]:
    """What the charts show: events behind and MillisBehindLatest at each poll."""
    polls = result["polls"]
    return [
        charts.Series("Events behind (sent but not yet read)", "events", [(p["at"], p["behind"]) for p in polls]),
        charts.Series(
            "MillisBehindLatest (what Kinesis reports)", "ms", [(p["at"], p["millis_behind"]) for p in polls]
        ),
    ]


def lag_figures(result: dict[str, Any]) -> dict[str, float]:
    """The measured figures the conclusion is made of."""
    polls = result["polls"]
    seconds = result["seconds"] or 1.0
    busy = [p for p in polls if p["records"]] or polls or [{"at": 0.0, "behind": 0, "millis_behind": 0, "records": 0}]
    first, last = busy[0], busy[-1]
    # The growth is measured once the consumer is busy all the time (full batches): before that it keeps up.
    full = [p for p in busy if p["records"] >= LAG_BATCH]
    start = full[0] if len(full) >= 2 else first
    span = last["at"] - start["at"]
    return {
        "seconds": seconds,
        "produced": result["produced"],
        "read": result["read"],
        "produce_rate": result["produced"] / (result["produce_seconds"] or 1.0),
        "read_rate": result["read"] / seconds,
        "behind_first": first["behind"],
        "behind_last": last["behind"],
        "millis_first": first["millis_behind"],
        "millis_last": last["millis_behind"],
        "growth": (last["behind"] - start["behind"]) / span if span > 0 else 0.0,
        "behind_end": max(result["produced"] - result["read"], 0),
        "polls": len(polls),
        "smallest_limit": result.get("smallest_limit") or 0,
    }


def premise(f: dict[str, float]) -> str:
    """Whether this run is the situation of discussion question 2: a consumer slower than its producer."""
    if f["read_rate"] >= PREMISE_SHARE * CONSUME_RATE and f["read_rate"] < f["produce_rate"]:
        return (
            f"As intended, your consumer handled {f['read_rate']:.0f} events/s against the producer's "
            f"{f['produce_rate']:.0f}/s: a consumer slower than its producer."
        )
    if 0 < f["smallest_limit"] < LAG_BATCH:
        why = f"it asked for only {f['smallest_limit']:.0f} records per read"
    else:
        why = "it stopped before its time was up, or skipped records"
    return (
        f"Your consumer handled {f['read_rate']:.0f} events/s here, not the {CONSUME_RATE:g} this experiment is "
        f"about ({why}):\nthese figures are for that consumer, not for the situation of discussion question 2."
    )


def lag_conclusion(f: dict[str, float]) -> str:
    """The conclusion, every sentence computed from the measured figures."""
    lines = [
        (
            f"While the consumer ran ({f['seconds']:.1f} simulated seconds, {f['polls']:.0f} polls) the producer sent "
            f"{f['produced']:.0f} events ({f['produce_rate']:.0f}/s) and the consumer handled {f['read']:.0f} "
            f"({f['read_rate']:.0f}/s): {f['behind_end']:.0f} were still waiting when it stopped."
        )
    ]
    lines.append(
        f"From the first poll that found records to the last, events behind went from {f['behind_first']:.0f} to "
        f"{f['behind_last']:.0f}, and MillisBehindLatest from {f['millis_first']:.0f} ms to {f['millis_last']:.0f} ms."
    )
    if f["read"] == 0:
        lines.append("The consumer read nothing, so there is no lag to measure: check tasks 7 and 9 (`make check`).")
        return "\n".join(lines)
    lines.append(premise(f))
    if f["growth"] >= 1:
        lines.append(
            f"Once the consumer was busy all the time, the gap grew by about {f['growth']:.0f} events every second "
            f"(the producer's {f['produce_rate']:.0f}/s against the consumer's {f['read_rate']:.0f}/s) and never "
            "closed on its own:\na consumer slower than its producer falls further behind for as long as that lasts."
        )
    elif f["growth"] <= -1:
        lines.append(f"The gap shrank by about {-f['growth']:.0f} events every second: this consumer catches up.")
    else:
        lines.append("The gap stayed about the same: this consumer kept up with the producer.")
    lines.append(
        f"\nThis is discussion question 2 (discussion.q2 in exercises/checkpoint.md): a consumer handling "
        f"{CONSUME_RATE:g} events/s\nagainst a producer sending {PRODUCE_RATE:g}/s. Extend these figures to a "
        "minute and to an hour, then say\nwhat you could do about it."
    )
    return "\n".join(lines)
