"""The worker's spare Kinesis clients go to the first calls that ask for exactly them, each once."""

from __future__ import annotations

import boto3
import pytest

from grader.sandbox import spare_client


@pytest.fixture()
def spare(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr(boto3, "client", boto3.client)  # restored after the test
    for name in ("_SPARE", "_REGION", "_MADE_IN"):
        monkeypatch.setattr(spare_client, name, [])
    spare_client.prepare("eu-west-1")
    return spare_client._SPARE[-1]  # the one the next matching call gets


def test_each_matching_call_gets_its_own_spare_then_a_new_client(spare):
    spares = list(spare_client._SPARE)
    assert len(spares) == spare_client.SPARES == len({id(made) for made in spares})
    handed = [boto3.client("kinesis", region_name="eu-west-1") for _ in spares]
    assert handed[0] is spare
    assert sorted(map(id, handed)) == sorted(map(id, spares))  # every spare once, never twice
    after = boto3.client("kinesis", region_name="eu-west-1")
    assert after not in handed and after.meta.region_name == "eu-west-1"


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("kinesis",), {"region_name": "us-west-2"}),
        (("s3",), {"region_name": "eu-west-1"}),
        (("kinesis",), {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:1"}),
        (("kinesis", "eu-west-1"), {}),
    ],
)
def test_other_clients_are_made_as_boto3_makes_them(spare, args, kwargs):
    before = list(spare_client._SPARE)
    made = boto3.client(*args, **kwargs)
    assert made not in before
    assert spare_client._SPARE == before  # still there for calls that ask for them


def test_a_call_without_a_region_gets_the_spare_made_for_the_runs_region(spare):
    assert boto3.client("kinesis") is spare
    following = spare_client._SPARE[-1]
    assert boto3.client(service_name="kinesis") is following


def test_a_run_that_changed_its_aws_settings_makes_its_own_client(spare, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    made = boto3.client("kinesis", region_name="eu-west-1")
    assert made is not spare and made.meta.endpoint_url == "http://127.0.0.1:1"
