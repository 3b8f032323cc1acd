"""Mistakes of the consumer's tasks (see ``tests.mutants.model`` for what a mutant declares).

Grouped by task, one clause of the contract in ``solutions/enhanced_consumer.py`` after the
other. The last group are correct rewrites in other styles (``same``): full marks.
"""

from __future__ import annotations

from tests.mutants.model import READING, C, Mutant, P, full, m, same  # noqa: F401

# Reference snippets the mutants change.
LIMIT = "            limit = 1000 if max_events is None else max(1, min(1000, max_events - read))\n"
EVENTS_CHECK = "            if max_events is not None and read >= max_events:\n"
DEADLINE = "            if max_seconds is not None and time.monotonic() - started >= max_seconds:\n"
CAUGHT_UP = '            caught_up = not records and response.get("MillisBehindLatest", 0) == 0\n'
POLL = (
    "                if max_seconds is None:\n                    break\n"
    "                time.sleep(self.poll_interval)\n"
)
COUNT = '                self.events_processed += 1\n                self.bytes_processed += len(record["Data"])\n'
MATCH = (
    "                if event is not None and self.process_event(event):\n"
    "                    self.events_matched += 1\n                    matched.append(event)\n"
)
STARTED = "        started = time.monotonic()\n"
MATCHED_LIST = "        matched: list[dict[str, Any]] = []\n"
RETRY = (
    "                time.sleep(min(0.05 * 2**failures, 2.0))  # same iterator: nothing skipped\n"
    "                continue\n"
)
# Where EventConsumer's body starts after its docstring: class attributes go before it.
CLASS_DOC_END = "    def __init__(\n"
MODULE_TOP = "EventFilter = Callable[[dict[str, Any]], bool]\n"
LIST_LOOP = (
    "        response = kinesis.list_shards(**kwargs)\n"
    '        shard_ids.extend(shard["ShardId"] for shard in response["Shards"])\n'
    '        token = response.get("NextToken")\n        if not token:\n            return shard_ids\n'
    '        kwargs = {"NextToken": token}  # a paged call names the stream through the token\n'
)
FILTER = "        if self.event_filter is not None and not self.event_filter(event):\n            return False\n"

# consume_stream stops inside a shard through that shard's consume(max_events=what is left),
# so a consume that reads past max_events makes consume_stream read past it too.
STOP_INSIDE_A_SHARD = {"consumer.all_shards"}

CONSUMER_MUTANTS: list[Mutant] = [
    # --- consumer.read_shard: get_shard_iterator ---------------------------------------------
    m(
        "iterator_latest",
        "consumer.read_shard",
        (
            C,
            'def get_shard_iterator(self, iterator_type: str = "TRIM_HORIZON")',
            'def get_shard_iterator(self, iterator_type: str = "LATEST")',
        ),
        also=READING - {"consumer.throughput"},
    ),  # every reader starts from it; get_stats only reports what was read
    m(
        "iterator_type_ignored",
        "consumer.read_shard",
        (C, "ShardIteratorType=iterator_type", 'ShardIteratorType="TRIM_HORIZON"'),
    ),
    m(
        "iterator_first_shard",
        "consumer.read_shard",
        (
            C,
            "StreamName=self.stream_name, ShardId=self.shard_id, ShardIteratorType",
            'StreamName=self.stream_name, ShardId="shardId-000000000000", ShardIteratorType',
        ),
        also={"consumer.all_shards"},
    ),  # consume_stream reads each shard through the consumer's iterator
    # --- consumer.read_shard: consume reads every record, in order, each once -----------------
    m(
        "records_newest_first",
        "consumer.read_shard",
        (C, "            for record in records:\n", "            for record in reversed(records):\n"),
        also={"consumer.all_shards", "consumer.filtering"},
    ),  # both judge the order of what consume returns
    m(
        "resumes_where_it_stopped",
        "consumer.read_shard",
        (
            C,
            "        iterator = self.get_shard_iterator()\n",
            '        iterator = self.__dict__.get("_next_iterator") or self.get_shard_iterator()\n',
        ),
        (
            C,
            '            iterator = response.get("NextShardIterator")\n',
            '            iterator = self._next_iterator = response.get("NextShardIterator")\n',
        ),
        also={"consumer.filtering", "consumer.stopping"},
    ),  # their checks call consume again on one consumer
    full(
        "retry_fresh_iterator",
        "consumer.read_shard",
        (
            C,
            RETRY,
            (
                "                time.sleep(min(0.05 * 2**failures, 2.0))\n"
                "                iterator = self.get_shard_iterator()\n                continue\n"
            ),
        ),
    ),
    full(
        "read_gives_up_on_throttling",
        "consumer.read_shard",
        (C, "if code not in RETRYABLE_ERROR_CODES or failures >= 10:", "if True:"),
    ),
    full(
        # The module's way of reading: no pause between reads, no retry of its own. No core
        # check may need either, so at the core level it keeps every point of its module.
        "reads_unpaced_without_retries",
        "consumer.read_shard",
        (C, "if code not in RETRYABLE_ERROR_CODES or failures >= 10:", "if True:"),
        (C, "            if wait > 0:\n                time.sleep(wait)\n", ""),
        (
            C,
            "            limit = 1000 if max_events is None else max(1, min(1000, max_events - read))\n",
            "            limit = 100 if max_events is None else max(1, min(100, max_events - read))\n",
        ),
    ),
    full(
        "retry_only_throughput_errors",
        "consumer.read_shard",
        (
            C,
            "if code not in RETRYABLE_ERROR_CODES or failures >= 10:",
            'if code != "ProvisionedThroughputExceededException" or failures >= 10:',
        ),
    ),
    # --- consumer.read_shard: counters -------------------------------------------------------
    m(
        "bytes_decoded_characters",
        "consumer.read_shard",
        (
            C,
            'self.bytes_processed += len(record["Data"])',
            'self.bytes_processed += len(record["Data"].decode("utf-8"))',
        ),
    ),
    m(
        "counters_reset_each_call",
        "consumer.read_shard",
        (C, STARTED, STARTED + "        self.events_processed = 0\n        self.bytes_processed = 0\n"),
    ),
    # --- consumer.stopping: max_events -------------------------------------------------------
    m("max_events_per_batch", "consumer.stopping", (C, LIMIT, "            limit = 1000\n"), also=STOP_INSIDE_A_SHARD),
    m("fixed_limit_of_100", "consumer.stopping", (C, LIMIT, "            limit = 100\n"), also=STOP_INSIDE_A_SHARD),
    m(
        "max_events_zero_means_no_limit",
        "consumer.stopping",
        (C, EVENTS_CHECK, "            if max_events and read >= max_events:\n"),
        (C, LIMIT, "            limit = 1000 if not max_events else max(1, min(1000, max_events - read))\n"),
    ),
    m(
        "max_events_off_by_one",
        "consumer.stopping",
        (C, EVENTS_CHECK, "            if max_events is not None and read > max_events:\n"),
        (C, LIMIT, "            limit = 1000 if max_events is None else max(1, min(1000, max_events + 1 - read))\n"),
        also=STOP_INSIDE_A_SHARD,
    ),
    m(
        "max_events_counts_matches",
        "consumer.stopping",
        (C, EVENTS_CHECK, "            if max_events is not None and len(matched) >= max_events:\n"),
        (
            C,
            LIMIT,
            "            limit = 1000 if max_events is None else max(1, min(1000, max_events - len(matched)))\n",
        ),
    ),
    m(
        "max_events_ignored_with_max_seconds",
        "consumer.stopping",
        (C, EVENTS_CHECK, "            if max_events is not None and max_seconds is None and read >= max_events:\n"),
        (
            C,
            LIMIT,
            (
                "            limit = 1000 if max_events is None or max_seconds is not None else max(1, min(1000, "
                "max_events - read))\n"
            ),
        ),
    ),
    # --- consumer.stopping: when the shard is caught up --------------------------------------
    m("never_stops_on_open_shard", "consumer.stopping", (C, POLL, "                time.sleep(self.poll_interval)\n")),
    full("stops_at_first_empty_read", "consumer.stopping", (C, CAUGHT_UP, "            caught_up = not records\n")),
    full("stops_at_short_read", "consumer.stopping", (C, CAUGHT_UP, "            caught_up = len(records) < limit\n")),
    full(
        "stops_when_behind_is_small",
        "consumer.stopping",
        (C, CAUGHT_UP, '            caught_up = not records and response.get("MillisBehindLatest", 0) < 5000\n'),
    ),
    # --- consumer.stopping: max_seconds ------------------------------------------------------
    m("max_seconds_ignored", "consumer.stopping", (C, DEADLINE, "            if False:\n")),
    m("max_seconds_never_polls", "consumer.stopping", (C, POLL, "                break\n")),
    m(
        "max_seconds_zero_means_no_limit",
        "consumer.stopping",
        (C, DEADLINE, "            if max_seconds and time.monotonic() - started >= max_seconds:\n"),
        (C, "                if max_seconds is None:\n", "                if not max_seconds:\n"),
    ),
    m(
        "deadline_from_construction",
        "consumer.stopping",
        (
            C,
            DEADLINE,
            "            if max_seconds is not None and time.monotonic() - self.start_time >= max_seconds:\n",
        ),
    ),
    m(
        "deadline_in_whole_seconds",
        "consumer.stopping",
        (C, DEADLINE, "            if max_seconds is not None and int(time.monotonic() - started) >= max_seconds:\n"),
    ),
    m(
        "poll_sleeps_one_second",
        "consumer.stopping",
        (C, "                time.sleep(self.poll_interval)\n", "                time.sleep(1)\n"),
    ),
    m(
        "polls_without_pause",
        "consumer.stopping",
        (C, "                time.sleep(self.poll_interval)\n", "                pass\n"),
    ),
    m(
        "deadline_checked_after_records_only",
        "consumer.stopping",
        (
            C,
            DEADLINE,
            "            if max_seconds is not None and read and time.monotonic() - started >= max_seconds:\n",
        ),
    ),
    # --- consumer.all_shards -----------------------------------------------------------------
    m(
        "stream_first_shard_only",
        "consumer.all_shards",
        (
            C,
            "    for shard_id in list_shard_ids(stream_name, client=kinesis):\n",
            "    for shard_id in list_shard_ids(stream_name, client=kinesis)[:1]:\n",
        ),
    ),
    m(
        "stream_stops_after_first_shard",
        "consumer.all_shards",
        (
            C,
            "        read += consumer.events_processed\n",
            "        read += consumer.events_processed\n        break\n",
        ),
    ),
    m(
        "list_first_shard_only",
        "consumer.all_shards",
        (C, "            return shard_ids\n", "            return shard_ids[:1]\n"),
    ),
    full(
        "list_first_page_only",
        "consumer.all_shards",
        (C, "        if not token:\n            return shard_ids\n", "        return shard_ids\n"),
    ),
    full(
        "list_open_shards_only",
        "consumer.all_shards",
        (
            C,
            '        shard_ids.extend(shard["ShardId"] for shard in response["Shards"])\n',
            (
                '        shard_ids.extend(s["ShardId"] for s in response["Shards"] if "EndingSequenceNumber" not in '
                's["SequenceNumberRange"])\n'
            ),
        ),
    ),
    m(
        "stream_max_events_per_shard",
        "consumer.all_shards",
        (
            C,
            "        remaining = None if max_events is None else max_events - read\n",
            "        remaining = max_events\n",
        ),
    ),
    m(
        "stream_max_events_ignored",
        "consumer.all_shards",
        (
            C,
            "        events.extend(consumer.consume(max_events=remaining))\n",
            "        events.extend(consumer.consume())\n",
        ),
    ),
    m(
        "stream_keeps_last_shard_only",
        "consumer.all_shards",
        (
            C,
            "        events.extend(consumer.consume(max_events=remaining))\n",
            "        events = consumer.consume(max_events=remaining)\n",
        ),
    ),
    m(
        "stream_filter_not_passed",
        "consumer.all_shards",
        (
            C,
            "        consumer = EventConsumer(stream_name, shard_id, client=kinesis, event_filter=event_filter)\n",
            "        consumer = EventConsumer(stream_name, shard_id, client=kinesis)\n",
        ),
    ),
    # --- consumer.throughput -----------------------------------------------------------------
    m(
        "throughput_whole_seconds",
        "consumer.throughput",
        (
            C,
            "        duration = time.monotonic() - self.start_time\n",
            "        duration = float(int(time.monotonic() - self.start_time))\n",
        ),
    ),
    m(
        "throughput_of_matched_events",
        "consumer.throughput",
        (
            C,
            '"events_per_second": self.events_processed / duration',
            '"events_per_second": self.events_matched / duration',
        ),
    ),
    m(
        "duration_from_first_consume",
        "consumer.throughput",
        (
            C,
            STARTED,
            (
                "        started = time.monotonic()\n        if not self.events_processed:\n"
                "            self.start_time = started\n"
            ),
        ),
    ),
    m(
        "duration_frozen_when_read_ends",
        "consumer.throughput",
        (C, "        return matched\n", "        self.finished = time.monotonic()\n        return matched\n"),
        (
            C,
            "        duration = time.monotonic() - self.start_time\n",
            '        duration = getattr(self, "finished", time.monotonic()) - self.start_time\n',
        ),
    ),
    m(
        "stats_matched_is_processed",
        "consumer.throughput",
        (C, '"events_matched": self.events_matched,', '"events_matched": self.events_processed,'),
    ),
    # --- consumer.filtering ------------------------------------------------------------------
    m(
        "filter_inverted",
        "consumer.filtering",
        (
            C,
            "if self.event_filter is not None and not self.event_filter(event):",
            "if self.event_filter is not None and self.event_filter(event):",
        ),
    ),
    m(
        "no_filter_matches_nothing",
        "consumer.filtering",
        (C, FILTER, "        if not (self.event_filter and self.event_filter(event)):\n            return False\n"),
    ),
    m(
        "process_event_returns_the_event",
        "consumer.filtering",
        (
            C,
            "        return True\n        ### END SOLUTION\n\n    def consume",
            "        return event\n        ### END SOLUTION\n\n    def consume",
        ),
    ),
    m(
        "matched_when_false",
        "consumer.filtering",
        (
            C,
            "if event is not None and self.process_event(event):",
            "if event is not None and self.process_event(event) is not None:",
        ),
    ),
    m(
        "processed_counts_only_matches",
        "consumer.filtering",
        (C, "                self.events_processed += 1\n", ""),
        (
            C,
            "                    self.events_matched += 1\n",
            "                    self.events_matched += 1\n                    self.events_processed += 1\n",
        ),
        also={"consumer.all_shards"},
    ),  # consume_stream counts each shard's events_processed against max_events: with a filter it reads too many
    m(
        "bytes_of_matches_only",
        "consumer.filtering",
        (C, '                self.bytes_processed += len(record["Data"])\n', ""),
        (
            C,
            "                    self.events_matched += 1\n",
            (
                "                    self.events_matched += 1\n"
                '                    self.bytes_processed += len(record["Data"])\n'
            ),
        ),
    ),
    m(
        "returns_every_event",
        "consumer.filtering",
        (
            C,
            MATCH,
            (
                "                if event is not None and self.process_event(event):\n"
                "                    self.events_matched += 1\n"
                "                if event is not None:\n                    matched.append(event)\n"
            ),
        ),
    ),
    m(
        "results_pile_up",
        "consumer.filtering",
        (C, MATCHED_LIST, '        matched: list[dict[str, Any]] = self.__dict__.setdefault("_matched", [])\n'),
    ),
    m("matched_reset_each_call", "consumer.filtering", (C, STARTED, STARTED + "        self.events_matched = 0\n")),
    m(
        "returns_nothing",
        "consumer.filtering",
        (C, "        return matched\n        ### END SOLUTION\n", "        return None\n        ### END SOLUTION\n"),
        also={"consumer.all_shards"},
    ),  # consume_stream builds its list from what consume returns
    # --- consumer.independence ---------------------------------------------------------------
    m(
        "counts_per_shard_in_module",
        "consumer.independence",
        (C, MODULE_TOP, MODULE_TOP + "_READ_PER_SHARD: dict[str, int] = {}\n"),
        (
            C,
            "                self.events_processed += 1\n",
            (
                "                _READ_PER_SHARD[self.shard_id] = _READ_PER_SHARD.get(self.shard_id, 0) + 1\n"
                "                self.events_processed = _READ_PER_SHARD[self.shard_id]\n"
            ),
        ),
    ),
    m(
        "bytes_in_a_global",
        "consumer.independence",
        (C, MODULE_TOP, MODULE_TOP + "_BYTES_READ = 0\n"),
        (
            C,
            '                self.bytes_processed += len(record["Data"])\n',
            (
                '                global _BYTES_READ\n                _BYTES_READ += len(record["Data"])\n'
                "                self.bytes_processed = _BYTES_READ\n"
            ),
        ),
    ),
    m(
        "matched_in_class_dict",
        "consumer.independence",
        (
            C,
            CLASS_DOC_END,
            '    totals = {"matched": 0}\n\n' + CLASS_DOC_END,
        ),
        (
            C,
            "                    self.events_matched += 1\n",
            (
                '                    self.totals["matched"] += 1\n'
                '                    self.events_matched = self.totals["matched"]\n'
            ),
        ),
    ),
    m(
        "processed_on_the_class",
        "consumer.independence",
        (
            C,
            CLASS_DOC_END,
            "    events_processed = 0\n\n" + CLASS_DOC_END,
        ),
        (C, "        self.events_processed = 0  # records read from the shard, matched or not\n", ""),
        (C, "                self.events_processed += 1\n", "                EventConsumer.events_processed += 1\n"),
        also={"consumer.all_shards"},
    ),  # consume_stream adds up each shard's consumer.events_processed
    # --- clauses once met one way only: never varied, combined, repeated or given odd types ---
    full("list_with_the_paginator",
        "consumer.all_shards",  # boto3's paginator sends StreamName again with each NextToken
        (
            C,
            '    kwargs: dict[str, Any] = {"StreamName": stream_name}\n    while True:\n' + LIST_LOOP,
            (
                '    for page in kinesis.get_paginator("list_shards").paginate(StreamName=stream_name):\n'
                '        shard_ids.extend(shard["ShardId"] for shard in page["Shards"])\n'
                "    return shard_ids\n"
            ),
        ),
    ),
    full("list_pages_from_the_first_id",
        "consumer.all_shards",  # the next page asked after the first id of the last one
        (
            C,
            '        kwargs = {"NextToken": token}  # a paged call names the stream through the token\n',
            '        kwargs = {"StreamName": stream_name, "ExclusiveStartShardId": response["Shards"][0]["ShardId"]}\n',
        ),
    ),
    full("list_open_shards_by_filter",
        "consumer.all_shards",  # ShardFilter AT_LATEST leaves out closed parents
        (
            C,
            '    kwargs: dict[str, Any] = {"StreamName": stream_name}\n',
            '    kwargs: dict[str, Any] = {"StreamName": stream_name, "ShardFilter": {"Type": "AT_LATEST"}}\n',
        ),
    ),
    m(
        "stream_budget_counts_matches",
        "consumer.all_shards",  # a filter and max_events together
        (
            C,
            (
                "        events.extend(consumer.consume(max_events=remaining))\n"
                "        read += consumer.events_processed\n"
            ),
            (
                "        matched = consumer.consume(max_events=remaining)\n        events.extend(matched)\n"
                "        read += len(matched)\n"
            ),
        ),
    ),
    full("closed_shard_read_again",
        "consumer.all_shards",  # no NextShardIterator: the old iterator read once more
        (
            C,
            '            iterator = response.get("NextShardIterator")\n',
            '            iterator = response.get("NextShardIterator") or iterator\n',
        ),
    ),
    full("read_retry_constant_pause",
        "consumer.read_shard",
        (C, "time.sleep(min(0.05 * 2**failures, 2.0))  # same iterator", "time.sleep(0.1)  # same iterator"),
    ),
    m(
        "poll_wait_grows",
        "consumer.stopping",  # waits after repeated empty polls
        (
            C,
            "                time.sleep(self.poll_interval)\n",
            (
                "                time.sleep(self.poll_interval * (1 + self.__dict__.setdefault('_empty', 0)))\n"
                "                self._empty += 1\n"
            ),
        ),
    ),
    m(
        "process_event_returns_filter_value",
        "consumer.filtering",  # a filter that answers a str, not a bool
        (
            C,
            FILTER,
            (
                "        if self.event_filter is not None:\n"
                "            matched = self.event_filter(event)\n"
                "            if matched:\n"
                "                print(f\"  Processing: {event.get('type', 'event')}\")\n"
                "            return matched\n"
            ),
        ),
    ),
    m(
        "stats_in_a_module_dict",
        "consumer.independence",  # get_stats, not the attributes, reads shared figures
        (C, MODULE_TOP, MODULE_TOP + '_STATS = {"events_processed": 0}\n'),
        (
            C,
            "                self.events_processed += 1\n",
            '                self.events_processed += 1\n                _STATS["events_processed"] += 1\n',
        ),
        (
            C,
            '            "events_processed": self.events_processed,\n            "bytes_processed"',
            '            "events_processed": _STATS["events_processed"],\n            "bytes_processed"',
        ),
    ),
    # --- correct rewrites in other styles: each must keep full marks -------------------------
    same(
        "generator_of_records",
        "consumer.stopping",
        (
            C,
            "        while iterator:\n",
            "        for response in self._responses(iterator, started, max_events, max_seconds, lambda: read):\n",
        ),
        (
            C,
            (
                "            if max_events is not None and read >= max_events:\n                break\n"
                "            if max_seconds is not None and time.monotonic() - started >= max_seconds:\n"
                "                break\n"
                "            limit = 1000 if max_events is None else max(1, min(1000, max_events - read))\n"
                "            wait = next_read - time.monotonic()\n"
                "            if wait > 0:\n                time.sleep(wait)\n"
                "            next_read = time.monotonic() + 1 / READS_PER_SECOND_PER_SHARD\n"
                "            try:\n                response = self.kinesis.get_records(ShardIterator=iterator, "
                "Limit=limit)\n"
                "            except ClientError as error:\n"
                '                code = error.response.get("Error", {}).get("Code")\n'
                "                if code not in RETRYABLE_ERROR_CODES or failures >= 10:\n                    raise\n"
                "                failures += 1\n"
                "                time.sleep(min(0.05 * 2**failures, 2.0))  # same iterator: nothing skipped\n"
                "                continue\n"
                "            failures = 0\n"
            ),
            "",
        ),
        (
            C,
            '            iterator = response.get("NextShardIterator")\n'
            + CAUGHT_UP
            + "            if caught_up:\n"
            + POLL,
            "",
        ),
        (
            C,
            "    def get_stats(self) -> dict[str, Any]:\n",
            (
                "    def _responses(self, iterator, started, max_events, max_seconds, done):\n"
                "        failures = 0\n"
                "        next_read = time.monotonic()\n"
                "        while iterator:\n"
                "            if max_events is not None and done() >= max_events:\n                return\n"
                "            if max_seconds is not None and time.monotonic() - started >= max_seconds:\n"
                "                return\n"
                "            limit = 1000 if max_events is None else max(1, min(1000, max_events - done()))\n"
                "            time.sleep(max(0.0, next_read - time.monotonic()))\n"
                "            next_read = time.monotonic() + 1 / READS_PER_SECOND_PER_SHARD\n"
                "            try:\n                response = self.kinesis.get_records(ShardIterator=iterator, "
                "Limit=limit)\n"
                "            except ClientError as error:\n"
                '                if error.response.get("Error", {}).get("Code") not in RETRYABLE_ERROR_CODES or '
                "failures >= 10:\n"
                "                    raise\n"
                "                failures += 1\n                time.sleep(min(0.05 * 2**failures, 2.0))\n"
                "                continue\n"
                "            failures = 0\n"
                "            yield response\n"
                '            iterator = response.get("NextShardIterator")\n'
                '            if not response["Records"] and not response.get("MillisBehindLatest"):\n'
                "                if max_seconds is None:\n                    return\n"
                "                time.sleep(self.poll_interval)\n\n"
                "    def get_stats(self) -> dict[str, Any]:\n"
            ),
        ),
    ),
    same(
        "describe_stream_paging",
        "consumer.all_shards",
        (
            C,
            (
                '    kwargs: dict[str, Any] = {"StreamName": stream_name}\n    while True:\n'
                "        response = kinesis.list_shards(**kwargs)\n"
                '        shard_ids.extend(shard["ShardId"] for shard in response["Shards"])\n'
                '        token = response.get("NextToken")\n        if not token:\n            return shard_ids\n'
                '        kwargs = {"NextToken": token}  # a paged call names the stream through the token\n'
            ),
            (
                '    kwargs: dict[str, Any] = {"StreamName": stream_name}\n    while True:\n'
                '        description = kinesis.describe_stream(**kwargs)["StreamDescription"]\n'
                '        shard_ids.extend(shard["ShardId"] for shard in description["Shards"])\n'
                '        if not description["HasMoreShards"] or not description["Shards"]:\n'
                "            return shard_ids\n"
                '        kwargs = {"StreamName": stream_name, "ExclusiveStartShardId": shard_ids[-1]}\n'
            ),
        ),
    ),
    same(
        "restart_after_last_sequence",
        "consumer.read_shard",
        (
            C,
            "        read = 0\n        failures = 0\n",
            "        read = 0\n        failures = 0\n        last = None\n",
        ),
        (
            C,
            RETRY,
            (
                "                time.sleep(min(0.05 * 2**failures, 2.0))\n"
                "                if last is not None:  # a new iterator just after the last record read\n"
                "                    iterator = self.kinesis.get_shard_iterator(StreamName=self.stream_name, "
                "ShardId=self.shard_id,\n"
                '                        ShardIteratorType="AFTER_SEQUENCE_NUMBER", '
                'StartingSequenceNumber=last)["ShardIterator"]\n'
                "                continue\n"
            ),
        ),
        (
            C,
            "                read += 1\n",
            '                read += 1\n                last = record["SequenceNumber"]\n',
        ),
    ),
    same(
        "deadline_and_while_true",
        "consumer.stopping",
        (
            C,
            "        while iterator:\n",
            (
                "        deadline = None if max_seconds is None else started + max_seconds\n        while True:\n"
                "            if not iterator:\n                break\n"
            ),
        ),
        (C, DEADLINE, "            if deadline is not None and time.monotonic() >= deadline:\n"),
    ),
    same(
        "stream_checks_what_is_left",
        "consumer.all_shards",
        (
            C,
            (
                "        if max_events is not None and read >= max_events:\n            break\n"
                "        consumer = EventConsumer(stream_name, shard_id, client=kinesis, event_filter=event_filter)\n"
                "        remaining = None if max_events is None else max_events - read\n"
            ),
            (
                "        remaining = None if max_events is None else max(0, max_events - read)\n"
                "        if remaining == 0:\n            break\n"
                "        consumer = EventConsumer(stream_name, shard_id, client=kinesis, event_filter=event_filter)\n"
            ),
        ),
    ),
    same(
        "filter_as_one_expression",
        "consumer.filtering",
        (
            C,
            FILTER,
            (
                "        matched = self.event_filter is None or bool(self.event_filter(event))\n"
                "        if not matched:\n"
                "            return False\n"
            ),
        ),
    ),
    same(
        "list_shards_pages_of_100",
        "consumer.all_shards",  # any MaxResults, any ShardFilter that keeps closed shards
        (
            C,
            '    kwargs: dict[str, Any] = {"StreamName": stream_name}\n',
            (
                '    kwargs: dict[str, Any] = {"StreamName": stream_name, "MaxResults": 100, '
                '"ShardFilter": {"Type": "FROM_TRIM_HORIZON"}}\n'
            ),
        ),
        (
            C,
            '        kwargs = {"NextToken": token}  # a paged call names the stream through the token\n',
            '        kwargs = {"NextToken": token, "MaxResults": 100}\n',
        ),
    ),
    same(
        "events_with_keys_reordered",
        "consumer.filtering",  # the events come back equal (==), whatever their key order
        (
            C,
            "                    matched.append(event)\n",
            "                    matched.append(dict(sorted(event.items())))\n",
        ),
    ),
    same(
        "counted_per_read",
        "consumer.read_shard",  # counters added once per read instead of once per record
        (C, COUNT, ""),
        (
            C,
            '            records = response["Records"]\n',
            (
                '            records = response["Records"]\n'
                "            self.events_processed += len(records)\n"
                '            self.bytes_processed += sum(len(record["Data"]) for record in records)\n'
            ),
        ),
    ),
    same(
        "reads_of_100",
        "consumer.stopping",  # any Limit the API allows
        (C, LIMIT, "            limit = 100 if max_events is None else max(1, min(100, max_events - read))\n"),
    ),
]
