"""Mistakes of the producer's tasks (see ``tests.mutants.model`` for what a mutant declares).

Grouped by the kind of mistake the tests must not miss: arguments never varied, objects used
more than once, values never checked, state per instance, conditions real Kinesis produces,
and doing nothing. The last group are correct rewrites in other styles (``same``).
"""

from __future__ import annotations

from tests.mutants.model import READING, C, Mutant, P, full, m, same  # noqa: F401

_WAITER = """        waiter = self.kinesis.get_waiter("stream_exists")
        waiter.wait(StreamName=self.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
"""
_RETRY = """            for attempt in range(max_attempts):
                result = self.send_event(event, key)
                if result["success"] or result.get("error_code") not in RETRYABLE_ERROR_CODES:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))  # back off before retrying
            results.append(result)
"""
_DESCRIBE = 'description = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]'
# The rest of get_stats' describe_stream paging (a summary needs no pages).
_DESCRIBE_PAGES = (
    "        page = description\n"
    '        while page.get("HasMoreShards") and page["Shards"]:  # at most 100 shards per answer\n'
    '            last = page["Shards"][-1]["ShardId"]\n'
    "            page = self.kinesis.describe_stream(\n"
    "                StreamName=self.stream_name, ExclusiveStartShardId=last\n"
    '            )["StreamDescription"]\n'
    '            description["Shards"].extend(page["Shards"])\n'
)
_CREATE = """        created = True
        try:
            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            print(f"Creating stream '{self.stream_name}' with {shard_count} shard(s)...")
        except ClientError as error:
            if _error_code(error) != "ResourceInUseException":
                raise
            created = False
"""
# Look first, create if missing: right on its own, but another producer may create the stream in between.
_CHECK_THEN_CREATE = """        try:
            self.kinesis.describe_stream_summary(StreamName=self.stream_name)
            created = False
        except self.kinesis.exceptions.ResourceNotFoundException:
            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)
            created = True
"""
_FAILURE = '            return {"success": False, "error": str(error), "error_code": _error_code(error)}'

PRODUCER_MUTANTS: list[Mutant] = [
    # --- producer.stream_setup -------------------------------------------------------------
    m("stream_fixed_shard_count", "producer.stream_setup", (P, "ShardCount=shard_count)", "ShardCount=2)")),
    m(
        "stream_default_one_shard",
        "producer.stream_setup",  # argument never varied: called without shard_count
        (
            P,
            "def ensure_stream_exists(self, shard_count: int = 2) -> bool:",
            "def ensure_stream_exists(self, shard_count: int = 1) -> bool:",
        ),
    ),
    m("stream_setup_no_wait", "producer.stream_setup", (P, _WAITER, "")),
    m(
        "stream_checks_status_once",
        "producer.stream_setup",
        (P, _WAITER, "        self.kinesis.describe_stream(StreamName=self.stream_name)\n"),
    ),
    full(
        "stream_waits_only_when_created",
        "producer.stream_setup",  # a second producer finds it CREATING
        (P, _WAITER, "        if not created:\n            return False\n" + _WAITER),
    ),
    m(
        "stream_exists_raises",
        "producer.stream_setup",
        (
            P,
            '            if _error_code(error) != "ResourceInUseException":\n                raise\n',
            "            raise\n",
        ),
    ),
    m(
        "stream_always_true",
        "producer.stream_setup",  # return value never checked
        (P, "            created = False\n", "            pass\n"),
    ),
    m("stream_returns_none", "producer.stream_setup", (P, "        return created\n", "        return None\n")),
    m(
        "stream_created_inverted",
        "producer.stream_setup",
        (P, "        return created\n", "        return not created\n"),
    ),
    # --- producer.send_event ---------------------------------------------------------------
    m(
        "send_event_swallows_errors",
        "producer.send_event",
        (P, _FAILURE, '            return {"success": True, "shard_id": "", "sequence_number": ""}'),
        also={"producer.ordering"},
    ),  # a throttled send reported as sent is never retried
    m(
        "send_event_raises",
        "producer.send_event",
        (P, _FAILURE, "            raise"),
        also={"producer.counters", "producer.ordering"},
    ),  # both call it on failing streams
    m("send_event_error_object", "producer.send_event", (P, '"error": str(error),', '"error": error,')),
    m(
        "send_event_no_error_message",
        "producer.send_event",
        (P, '"error": str(error), "error_code"', '"error_code"'),
        also={"producer.ordering"},
    ),  # send_batch prints result["error"] of the event it gives up on
    m(
        "send_event_wrong_sequence",
        "producer.send_event",
        (P, '"sequence_number": response["SequenceNumber"],', '"sequence_number": response["ShardId"],'),
    ),
    m(
        "send_event_first_shard_id",
        "producer.send_event",
        (P, '"shard_id": response["ShardId"],', '"shard_id": "shardId-000000000000",'),
    ),
    m(
        "send_event_key_from_event",
        "producer.send_event",  # argument never varied: keys were always the user id
        (P, "Data=payload, PartitionKey=partition_key", 'Data=payload, PartitionKey=str(event_data.get("userId"))'),
        also={"producer.ordering"},
    ),  # send_batch sends through it: a key over another field is lost there too
    m(
        "send_event_python_repr",
        "producer.send_event",  # the stored data itself never checked
        (P, 'payload = json.dumps(event_data).encode("utf-8")', 'payload = str(event_data).encode("utf-8")'),
    ),
    m(
        "send_event_wraps_event",
        "producer.send_event",
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps({"event": event_data, "key": partition_key}).encode("utf-8")',
        ),
    ),
    m(
        "send_event_adds_timestamp",
        "producer.send_event",
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps({**event_data, "sent_at": time.time()}).encode("utf-8")',
        ),
    ),
    m(
        "send_event_puts_twice",
        "producer.send_event",
        (
            P,
            "            response = self.kinesis.put_record(\n",
            (
                "            self.kinesis.put_record(StreamName=self.stream_name, Data=payload, "
                "PartitionKey=partition_key)\n"
                "            response = self.kinesis.put_record(\n"
            ),
        ),
        also={"producer.ordering"},
    ),  # every event lands twice, through send_batch too
    m(
        "send_event_returns_response",
        "producer.send_event",
        (
            P,
            '        return {\n            "success": True,\n',
            '        return response\n        return {\n            "success": True,\n',
        ),
        also={"producer.ordering", "producer.counters", "producer.concurrency"},
    ),  # send_batch reads result["success"]: KeyError
    # --- producer.counters -----------------------------------------------------------------
    m(
        "counters_characters",
        "producer.counters",
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps(event_data, ensure_ascii=False).encode("utf-8")',
        ),
        (P, "self.bytes_sent += len(payload)", 'self.bytes_sent += len(payload.decode("utf-8"))'),
    ),
    m(
        "counters_bytes_of_repr",
        "producer.counters",
        (P, "self.bytes_sent += len(payload)", "self.bytes_sent += len(str(event_data))"),
    ),
    m(
        "counters_before_success",
        "producer.counters",
        (
            P,
            '        try:\n            payload = json.dumps(event_data).encode("utf-8")\n',
            (
                "        self.events_sent += 1\n        try:\n"
                '            payload = json.dumps(event_data).encode("utf-8")\n'
            ),
        ),
        (
            P,
            "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n",
            "        self.bytes_sent += len(payload)\n",
        ),
    ),
    m(
        "counters_bytes_before_success",
        "producer.counters",
        (
            P,
            '        try:\n            payload = json.dumps(event_data).encode("utf-8")\n',
            (
                '        payload = json.dumps(event_data).encode("utf-8")\n        self.bytes_sent += len(payload)\n'
                "        try:\n"
            ),
        ),
        (
            P,
            "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n",
            "        self.events_sent += 1\n",
        ),
    ),
    m(
        "counters_start_at_one",
        "producer.counters",
        (P, "        self.events_sent = 0\n", "        self.events_sent = 1\n"),
    ),
    m(
        "counters_reset_per_batch",
        "producer.counters",  # objects used once: counters must add up over calls
        (
            P,
            '        print(f"Sending {len(events)} events...")\n',
            (
                '        print(f"Sending {len(events)} events...")\n        self.events_sent = 0\n'
                "        self.bytes_sent = 0\n"
            ),
        ),
    ),
    m(
        "counters_set_by_batch",
        "producer.counters",
        (
            P,
            '        print(f"\\nStats: {self.events_sent} events, {self.bytes_sent} bytes sent\\n")\n',
            (
                '        self.events_sent = sum(1 for r in results if r["success"])\n'
                '        print(f"\\nStats: {self.events_sent} events, {self.bytes_sent} bytes sent\\n")\n'
            ),
        ),
    ),
    # --- producer.ordering -----------------------------------------------------------------
    m(
        "batch_random_key",
        "producer.ordering",
        (P, "            key = partition_key_fn(event)\n", "            key = str(random.random())\n"),
    ),
    m(
        "batch_constant_key",
        "producer.ordering",
        (P, "            key = partition_key_fn(event)\n", '            key = "events"\n'),
    ),
    m(
        "batch_key_from_user_field",
        "producer.ordering",  # argument never varied: the key function always read userId
        (P, "            key = partition_key_fn(event)\n", '            key = str(event["userId"])\n'),
    ),
    m(
        "batch_reversed",
        "producer.ordering",
        (
            P,
            "        for number, event in enumerate(events, 1):\n",
            "        for number, event in enumerate(reversed(events), 1):\n",
        ),
    ),
    m(
        "batch_grouped_by_key",
        "producer.ordering",  # per-key order kept, results in another order
        (
            P,
            "        for number, event in enumerate(events, 1):\n",
            "        for number, event in enumerate(sorted(events, key=partition_key_fn), 1):\n",
        ),
    ),
    full(
        "batch_drops_throttled",
        "producer.ordering",
        (P, "            for attempt in range(max_attempts):\n", "            for attempt in range(1):\n"),
    ),
    m(
        "batch_no_break_on_success",
        "producer.ordering",  # every event sent max_attempts times
        (
            P,
            'if result["success"] or result.get("error_code") not in RETRYABLE_ERROR_CODES:',
            'if not result["success"] and result.get("error_code") not in RETRYABLE_ERROR_CODES:',
        ),
        also={"producer.counters", "producer.concurrency"},
    ),  # each event really is sent and counted max_attempts times
    full(
        "batch_one_try_too_few",
        "producer.ordering",
        (
            P,
            "            for attempt in range(max_attempts):\n",
            "            for attempt in range(max_attempts - 1):\n",
        ),
    ),
    full(
        "batch_ignores_max_attempts",
        "producer.ordering",  # a record failing until the retries run out
        (P, "            for attempt in range(max_attempts):\n", "            for attempt in range(1000):\n"),
    ),
    full(
        "batch_no_backoff",
        "producer.ordering",  # back-off visible on the simulated clock
        (P, "                time.sleep(min(0.05 * 2**attempt, 2.0))  # back off before retrying\n", ""),
    ),
    full(
        "batch_constant_backoff", "producer.ordering", (P, "time.sleep(min(0.05 * 2**attempt, 2.0))", "time.sleep(0.1)")
    ),
    full(
        "batch_stops_at_failure",
        "producer.ordering",
        (
            P,
            "            results.append(result)\n",
            '            results.append(result)\n            if not result["success"]:\n                break\n',
        ),
    ),
    full(
        "batch_skips_failed_results",
        "producer.ordering",
        (
            P,
            "            results.append(result)\n",
            '            if result["success"]:\n                results.append(result)\n',
        ),
    ),
    m(
        "batch_results_pile_up",
        "producer.ordering",  # objects used once: results of earlier calls come back
        (
            P,
            "        self.bytes_sent = 0\n",
            "        self.bytes_sent = 0\n        self.results: list[dict[str, Any]] = []\n",
        ),
        (P, "        results = []\n", "        results = self.results\n"),
    ),
    m("batch_returns_nothing", "producer.ordering", (P, "        return results\n", "        return None\n")),
    full(
        "batch_retries_at_the_end",
        "producer.ordering",  # failed events resent after the others: order broken
        (
            P,
            _RETRY,
            """            result = self.send_event(event, key)
            if not result["success"]:
                events.append(event)
                time.sleep(0.1)
                if len(events) > 200:
                    break
                continue
            results.append(result)
""",
        ),
    ),
    # --- producer.stats --------------------------------------------------------------------
    m(
        "stats_fixed_retention",
        "producer.stats",
        (P, '"retention_hours": description["RetentionPeriodHours"],', '"retention_hours": 24,'),
    ),
    m(
        "stats_shards_as_text",
        "producer.stats",
        (P, '"shards": len(description["Shards"]),', '"shards": str(len(description["Shards"])),'),
    ),
    m("stats_fixed_shards", "producer.stats", (P, '"shards": len(description["Shards"]),', '"shards": 2,')),
    full(
        "stats_status_always_active",
        "producer.stats",  # a stream that is not ACTIVE never met
        (P, '"status": description["StreamStatus"],', '"status": "ACTIVE",'),
    ),
    full(
        "stats_waits_for_active",
        "producer.stats",
        (
            P,
            "        " + _DESCRIBE + "\n",
            '        self.kinesis.get_waiter("stream_exists").wait(StreamName=self.stream_name)\n        '
            + _DESCRIBE
            + "\n",
        ),
    ),
    m(
        "stats_remembered",
        "producer.stats",  # stats read again after the stream changed
        (
            P,
            "        " + _DESCRIBE + "\n",
            (
                '        if getattr(self, "_description", None) is None:\n'
                "            self._description = "
                'self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]\n'
                "        description = self._description\n"
            ),
        ),
    ),
    # --- producer.concurrency --------------------------------------------------------------
    m(
        "concurrency_class_counters",
        "producer.concurrency",  # shared by two producers in one process
        (P, "        self.events_sent = 0\n        self.bytes_sent = 0\n", ""),
        (
            P,
            "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n",
            "        EventProducer.events_sent += 1\n        EventProducer.bytes_sent += len(payload)\n",
        ),
        (
            P,
            "    def __init__(self, stream_name: str, *, client: Any = None) -> None:\n",
            (
                "    events_sent = 0\n    bytes_sent = 0\n\n"
                "    def __init__(self, stream_name: str, *, client: Any = None) -> None:\n"
            ),
        ),
    ),
    m(
        "concurrency_global_counters",
        "producer.concurrency",
        (
            P,
            "        self.events_sent = 0\n        self.bytes_sent = 0\n",
            "        self.events_sent = _TOTALS[0]\n        self.bytes_sent = _TOTALS[1]\n",
        ),
        (
            P,
            "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n",
            (
                "        _TOTALS[0] += 1\n        _TOTALS[1] += len(payload)\n"
                "        self.events_sent, self.bytes_sent = _TOTALS\n"
            ),
        ),
        (P, "def make_kinesis_client() -> Any:\n", "_TOTALS = [0, 0]\n\n\ndef make_kinesis_client() -> Any:\n"),
    ),
    m(
        "concurrency_class_stream_name",
        "producer.concurrency",
        (P, "        self.stream_name = stream_name\n", "        EventProducer.stream_name = stream_name\n"),
    ),
    # --- clauses once met one way only: never varied, combined, repeated or given odd types ---
    full("stream_check_then_create",
        "producer.stream_setup",  # two producers at once: the other's create lands in between
        (P, _CREATE, _CHECK_THEN_CREATE),
    ),
    full("stream_waits_five_polls",
        "producer.stream_setup",  # CREATING that lasts longer than a few polls
        (
            P,
            _WAITER,
            """        for _ in range(5):
            description = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]
            if description["StreamStatus"] == "ACTIVE":
                break
            time.sleep(2)
""",
        ),
    ),
    m(
        "send_event_catches_client_errors_only",
        "producer.send_event",  # boto3 refuses an empty key itself, with ParamValidationError
        (
            P,
            "        except (ClientError, BotoCoreError, TypeError, ValueError) as error:\n",
            "        except ClientError as error:\n",
        ),
    ),
    full("batch_keeps_first_failure",
        "producer.ordering",  # the retry succeeds, the result still says it failed
        (
            P,
            _RETRY,
            """            first = None
            for attempt in range(max_attempts):
                result = self.send_event(event, key)
                first = first or result
                if result["success"] or result.get("error_code") not in RETRYABLE_ERROR_CODES:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))  # back off before retrying
            results.append(first)
""",
        ),
    ),
    # --- correct rewrites in other styles: each must keep full marks -----------------------
    same(
        "compact_json_unescaped",
        "producer.send_event",
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps(event_data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")',
        ),
    ),
    same(
        "counters_length_of_ascii_json",
        "producer.counters",  # json.dumps escapes non-ASCII: characters == bytes
        (P, "self.bytes_sent += len(payload)", "self.bytes_sent += len(json.dumps(event_data))"),
    ),
    same(
        "stream_wait_loop",
        "producer.stream_setup",
        (
            P,
            _WAITER,
            """        while True:
            status = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]["StreamStatus"]
            if status == "ACTIVE":
                break
            time.sleep(1)
""",
        ),
    ),
    same(
        "json_sorted_keys",
        "producer.send_event",  # key order and escapes are free: json.loads(data) == event_data
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps(event_data, sort_keys=True, ensure_ascii=False).encode("utf-8")',
        ),
    ),
    same(
        "json_indented",
        "producer.send_event",  # spacing is free
        (
            P,
            'payload = json.dumps(event_data).encode("utf-8")',
            'payload = json.dumps(event_data, indent=2).encode("utf-8")',
        ),
    ),
    same(
        "send_event_catches_every_exception",
        "producer.send_event",
        (
            P,
            "        except (ClientError, BotoCoreError, TypeError, ValueError) as error:\n",
            "        except Exception as error:\n",
        ),
    ),
    same(
        "stream_check_then_create_catching_the_race",
        "producer.stream_setup",
        (
            P,
            _CREATE,
            _CHECK_THEN_CREATE.replace(
                "            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)\n"
                "            created = True\n",
                "            try:\n"
                "                self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=shard_count)\n"
                "                created = True\n"
                "            except self.kinesis.exceptions.ResourceInUseException:\n"
                "                created = False  # another producer created it meanwhile\n",
            ),
        ),
    ),
    same(
        "stream_waiter_defaults",
        "producer.stream_setup",  # the waiter's own pace: a check every 10 s
        (
            P,
            'waiter.wait(StreamName=self.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})',
            "waiter.wait(StreamName=self.stream_name)",
        ),
    ),
    same(
        "stats_from_summary",
        "producer.stats",
        (
            P,
            "        " + _DESCRIBE + "\n" + _DESCRIBE_PAGES,
            (
                "        summary = "
                'self.kinesis.describe_stream_summary(StreamName=self.stream_name)["StreamDescriptionSummary"]\n'
            ),
        ),
        (P, '"status": description["StreamStatus"],', '"status": summary["StreamStatus"],'),
        (P, '"shards": len(description["Shards"]),', '"shards": summary["OpenShardCount"],'),
        (
            P,
            '"retention_hours": description["RetentionPeriodHours"],',
            '"retention_hours": summary["RetentionPeriodHours"],',
        ),
    ),
    same(
        "batch_while_retry",
        "producer.ordering",
        (
            P,
            _RETRY,
            """            result = self.send_event(event, key)
            tries, wait = 1, 0.05
            while not result["success"] and result.get("error_code") in RETRYABLE_ERROR_CODES and tries < max_attempts:
                time.sleep(wait)
                wait *= 2
                result = self.send_event(event, key)
                tries += 1
            results.append(result)
""",
        ),
    ),
]
