"""moto's per-call listing of a response class's methods is cached, and answers as before."""

from __future__ import annotations

import moto.core.responses
import moto.core.utils
from moto.kinesis.responses import KinesisResponse

from grader.kinesis import server


def test_the_cached_listing_gives_moto_s_answer_once_per_class():
    server._memoize_moto_method_names()
    server._memoize_moto_method_names()  # a second server in the process: not wrapped twice
    cached = moto.core.responses.method_names_from_class
    assert cached.__wrapped__ is moto.core.utils.method_names_from_class
    assert cached(KinesisResponse) == moto.core.utils.method_names_from_class(KinesisResponse)
    assert {"put_record", "get_records", "describe_stream"} <= set(cached(KinesisResponse))
    assert cached(KinesisResponse) is cached(KinesisResponse)  # listed once
