"""The late policy's properties: the penalty never falls as lateness grows and the final score
stays between the floor and the raw score; best-of is the maximum over the allowed commits; an
extension changes its learner's row only. And the policy file is checked, never half-read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instructor import deadline
from instructor.late_policy import Candidate, Policy, PolicyError, choose, load

DEADLINE = datetime.fromisoformat("2026-12-01T23:59:00+00:00")

policies = st.builds(
    Policy,
    penalty_percent=st.floats(0, 100),
    per=st.sampled_from(["day", "hour"]),
    grace_minutes=st.floats(0, 600),
    floor_percent=st.floats(0, 100),
    accept_late_days=st.floats(0, 14),
    choose=st.sampled_from(["last", "best"]),
)
lateness = st.integers(-10 * 86400, 30 * 86400).map(lambda s: timedelta(seconds=s))
raw_scores = st.floats(0, 112).map(lambda x: round(x, 2))


@settings(max_examples=300, deadline=None)
@given(policy=policies, raw=raw_scores, first=lateness, second=lateness)
def test_penalty_never_falls_as_lateness_grows_and_stays_between_floor_and_raw(
    policy: Policy, raw: float, first: timedelta, second: timedelta
) -> None:
    earlier, later = sorted((first, second))
    assert policy.penalty(raw, earlier) <= policy.penalty(raw, later)
    for late in (earlier, later):
        final = policy.final(raw, late)
        assert raw * policy.floor_percent / 100 - 0.01 <= final <= raw
    if earlier <= timedelta(0):
        assert policy.final(raw, earlier) == raw  # on time costs nothing


candidates = st.lists(st.tuples(lateness, st.one_of(st.none(), raw_scores)), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(policy=policies, commits=candidates)
def test_best_of_is_the_maximum_over_the_allowed_commits(policy: Policy, commits: list) -> None:
    best = Policy(**{**policy.__dict__, "choose": "best"})
    options = [Candidate(f"c{i}", late, raw, i) for i, (late, raw) in enumerate(commits)]
    chosen = choose(options, best)
    assert chosen is not None
    graded = [c for c in options if c.raw is not None]
    if graded:
        assert best.final(chosen.raw or 0, chosen.late) == max(best.final(c.raw or 0, c.late) for c in graded)
    last = choose(options, Policy(**{**policy.__dict__, "choose": "last"}))
    assert last is not None and last.order == 0


def _record(cutoff: deadline.Cutoff, name: str, times: list[timedelta], scores: list[float]) -> dict:
    """A learner's history.json as grade-all writes it: commits newest first, every tree graded."""
    commits = sorted(zip(times, scores, strict=True), key=lambda pair: pair[0], reverse=True)
    return {
        "due": cutoff.due(name).isoformat(),
        "commits": [
            {"sha": f"{name}{i}", "time": (DEADLINE + t).isoformat(), "tree": f"{name}t{i}"}
            for i, (t, _) in enumerate(commits)
        ],
        "trees": {f"{name}t{i}": {"score": s} for i, (_, s) in enumerate(commits)},
    }


def _rows(cutoff: deadline.Cutoff, history: dict[str, tuple[list[timedelta], list[float]]]) -> dict:
    rows = {}
    for name, (times, scores) in history.items():
        picked = choose(deadline.candidates_of(_record(cutoff, name, times, scores), cutoff.policy), cutoff.policy)
        rows[name] = None if picked is None else (picked.sha, cutoff.policy.final(picked.raw or 0, picked.late))
    return rows


learners = st.dictionaries(
    st.sampled_from(["ana", "ben", "cy", "dee"]),
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            st.lists(lateness, min_size=n, max_size=n, unique=True), st.lists(raw_scores, min_size=n, max_size=n)
        )
    ),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(policy=policies, history=learners, moved=lateness, data=st.data())
def test_an_extension_changes_only_its_learners_row(
    policy: Policy, history: dict, moved: timedelta, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(history)))
    plain = deadline.Cutoff(DEADLINE, policy=policy)
    extended = deadline.Cutoff(DEADLINE, {name: DEADLINE + moved}, policy)
    before, after = _rows(plain, history), _rows(extended, history)
    assert {k: v for k, v in before.items() if k != name} == {k: v for k, v in after.items() if k != name}


def test_policy_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "late.toml"
    path.write_text('penalty_percent = 5\nper = "hour"\ngrace_minutes = 10\nfloor_percent = 40\nchoose = "best"\n')
    policy = load(path)
    assert policy.penalty(100, timedelta(minutes=9)) == 0 and policy.penalty(100, timedelta(minutes=61)) == 10
    assert policy.final(100, timedelta(days=3)) == 40
    for wrong in ('per = "week"\n', 'choose = "first"\n', "penalty = 5\n", "floor_percent = 150\n", "grace = [\n"):
        path.write_text(wrong)
        with pytest.raises(PolicyError):
            load(path)


def test_times_name_their_zone_and_extensions_read_both_forms(tmp_path: Path) -> None:
    assert deadline.parse_time("2026-12-01T22:59:00Z") == DEADLINE - timedelta(hours=1)
    with pytest.raises(deadline.DeadlineError, match="time zone"):
        deadline.parse_time("2026-12-01T23:59:00")
    path = tmp_path / "extensions.csv"
    path.write_text("submission,deadline\nana,+2d\nben,+36h\ncy,2026-12-05T12:00:00+01:00\n")
    moved = deadline.load_extensions(path, DEADLINE)
    assert moved["ana"] - DEADLINE == timedelta(days=2) and moved["ben"] - DEADLINE == timedelta(hours=36)
    assert moved["cy"] == datetime.fromisoformat("2026-12-05T11:00:00+00:00")
