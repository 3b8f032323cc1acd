"""Every mutant of tests/mutants/mutants.py costs points on its own task and on no other.

A producer mutant and a consumer mutant are graded together in one full grading (the modules
are tested independently), two gradings at a time; ``make mutants`` prints the same verdicts
as a table.
"""

from __future__ import annotations

import pytest

from tests.mutants.mutants import MUTANTS
from tests.mutants.table import grade_mutants, verdict

BY_ID = {mutant.id: mutant for mutant in MUTANTS}


@pytest.fixture(scope="module")
def results():
    """Every mutant's report, graded once."""
    reports, _ = grade_mutants(MUTANTS)
    return reports


def test_there_are_enough_mutants_for_every_code_task():
    assert len(MUTANTS) >= 25
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("mutant_id", list(BY_ID))
def test_mutant_loses_points_on_its_task_only(results, mutant_id):
    mutant = BY_ID[mutant_id]
    report = results[mutant_id]
    row = verdict(mutant, report)
    if mutant.equivalent:
        assert row["costs"] == {}, f"{mutant_id} is a correct rewrite but lost points: {row['costs']}"
    elif mutant.survives:
        assert row["lost"] == 0, f"{mutant_id} is now caught: drop its 'survives' note"
    else:
        assert row["lost"] > 0, f"{mutant_id} was not caught by the tests of {mutant.task}"
    assert set(row["changed"]) == set(mutant.also), f"{mutant_id} also changed {row['changed']}"
    assert report["problems"] == []
    failed = [t for t in report["tests"] if t["task"] == mutant.task and t["status"] != "passed"]
    assert all(t["status"] == "failed" and t["message"].startswith("Called ") for t in failed)
