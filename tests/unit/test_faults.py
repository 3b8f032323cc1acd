"""Fault plans: which calls fail is decided by call counts alone."""

from __future__ import annotations

from grader.kinesis.faults import ERRORS, FailNth, Plan, Together, fail_runs
from grader.kinesis.limits import stream_of


def codes(plan: Plan, operations: list[str]) -> list[str | None]:
    out = []
    for operation in operations:
        fault = plan.fault(operation, {"StreamName": "s"})
        out.append(None if fault is None else fault.code)
    return out


def test_fail_runs_counts_only_its_operations():
    plan = fail_runs(("PutRecord",), [(2, 2, "InternalFailure")])
    got = codes(plan, ["PutRecord", "DescribeStream", "PutRecord", "PutRecord", "PutRecord"])
    assert got == [None, None, "InternalFailure", "InternalFailure", None]


def test_fault_has_the_aws_status_and_says_it_is_simulated():
    plan = FailNth(("GetRecords",), frozenset({1}), "ServiceUnavailable", ERRORS["ServiceUnavailable"])
    fault = plan.fault("GetRecords", {})
    assert fault is not None and fault.status == 503 and "simulated" in fault.message


def test_two_runs_combine_and_every_plan_sees_every_call():
    plan = fail_runs(("PutRecord",), [(1, 1, "InternalFailure"), (3, 1, "ProvisionedThroughputExceededException")])
    assert isinstance(plan, Together)
    assert codes(plan, ["PutRecord"] * 4) == [
        "InternalFailure",
        None,
        "ProvisionedThroughputExceededException",
        None,
    ]


def test_descriptions_name_the_calls():
    plan = fail_runs(("PutRecord", "PutRecords"), [(3, 6, "ProvisionedThroughputExceededException")])
    assert plan.describe() == (
        "Kinesis failed PutRecord/PutRecords calls 3 to 8 (6 in a row) with "
        "ProvisionedThroughputExceededException (HTTP 400)"
    )


def test_stream_named_by_arn_or_name():
    assert stream_of({"StreamARN": "arn:aws:kinesis:us-east-1:123:stream/orders"}) == "orders"
    assert stream_of({"StreamName": "clicks"}) == "clicks"
    assert stream_of({}) is None
