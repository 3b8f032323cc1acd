"""Mistakes of the producer's tasks (see ``tests.mutants.mutants`` for what a mutant declares)."""

from __future__ import annotations

from tests.mutants.model import READING, C, Mutant, P, m, same  # noqa: F401

PRODUCER_MUTANTS: list[Mutant] = [
    m("stream_fixed_shard_count", "producer.stream_setup",
      (P, "ShardCount=shard_count)", "ShardCount=2)")),
    m("stream_setup_no_wait", "producer.stream_setup",
      (P, '        waiter.wait(StreamName=self.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})\n', "")),
    m("stream_exists_raises", "producer.stream_setup",
      (P, '            if _error_code(error) != "ResourceInUseException":\n                raise\n', "            raise\n")),
    m("send_event_swallows_errors", "producer.send_event",
      (P, '            return {"success": False, "error": str(error), "error_code": _error_code(error)}',
       '            return {"success": True, "shard_id": "", "sequence_number": ""}'),
      also={"producer.ordering"}),  # a throttled send reported as sent is never retried
    m("send_event_raises", "producer.send_event",
      (P, '            return {"success": False, "error": str(error), "error_code": _error_code(error)}', "            raise"),
      also={"producer.counters", "producer.ordering"}),  # both call it on failing streams
    m("send_event_wrong_sequence", "producer.send_event",
      (P, '"sequence_number": response["SequenceNumber"],', '"sequence_number": response["ShardId"],')),
    m("send_event_first_shard_id", "producer.send_event",
      (P, '"shard_id": response["ShardId"],', '"shard_id": "shardId-000000000000",')),
    m("batch_random_key", "producer.ordering",
      (P, "            key = partition_key_fn(event)\n", "            key = str(random.random())\n"),
      also={"producer.concurrency"}),  # it sends with send_batch too
    m("batch_constant_key", "producer.ordering",
      (P, "            key = partition_key_fn(event)\n", '            key = "events"\n'),
      also={"producer.concurrency"}),
    m("batch_drops_throttled", "producer.ordering",
      (P, "            for attempt in range(max_attempts):\n", "            for attempt in range(1):\n")),
    m("counters_characters", "producer.counters",
      (P, 'payload = json.dumps(event_data).encode("utf-8")', 'payload = json.dumps(event_data, ensure_ascii=False).encode("utf-8")'),
      (P, "self.bytes_sent += len(payload)", 'self.bytes_sent += len(payload.decode("utf-8"))')),
    m("counters_before_success", "producer.counters",
      (P, '        try:\n            payload = json.dumps(event_data).encode("utf-8")\n',
       '        self.events_sent += 1\n        try:\n            payload = json.dumps(event_data).encode("utf-8")\n'),
      (P, "        self.events_sent += 1\n        self.bytes_sent += len(payload)\n", "        self.bytes_sent += len(payload)\n")),
    m("counters_start_at_one", "producer.counters",
      (P, "        self.events_sent = 0\n", "        self.events_sent = 1\n"), also={"producer.concurrency"}),
    m("stats_fixed_retention", "producer.stats",
      (P, '"retention_hours": description["RetentionPeriodHours"],', '"retention_hours": 24,')),
    m("stats_shards_as_text", "producer.stats",
      (P, '"shards": len(description["Shards"]),', '"shards": str(len(description["Shards"])),')),
    # Correct rewrites in other styles: each must keep full marks.
    same("compact_json_unescaped", "producer.send_event",
         (P, 'payload = json.dumps(event_data).encode("utf-8")',
          'payload = json.dumps(event_data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")')),
]
