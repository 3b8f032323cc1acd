"""Small, realistic mistakes in the reference, each one a learner could make.

Each mutant names the task it breaks and the replacements that turn the reference into it
(file in exercises/, the reference's text, the mistaken text). ``also`` lists other tasks a
mistake unavoidably breaks too (e.g. a wrong shard iterator breaks every reading task);
``survives`` explains a mistake the tests cannot see, if any. Grading a mutant must cost
points on ``task`` (and ``also``) and leave every other task's points as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.mutants.patching import Patch

P, C = "enhanced_producer.py", "enhanced_consumer.py"
READING = {"consumer.all_shards", "consumer.stopping", "consumer.filtering", "consumer.independence", "consumer.throughput"}


@dataclass(frozen=True)
class Mutant:
    """One mistake: what it breaks and how it is made from the reference."""

    id: str
    task: str
    patches: tuple[Patch, ...]
    also: frozenset[str] = field(default_factory=frozenset)
    survives: str = ""  # why the tests cannot catch it (then it is expected to keep its points)

    @property
    def module(self) -> str:
        """'producer' or 'consumer': the module whose tasks are graded for this mutant."""
        return self.task.partition(".")[0]

    @property
    def selection(self) -> list[str]:
        """pytest arguments choosing the tests of the module (fault tests are in their own file)."""
        return selection(self.module)


def selection(module: str) -> list[str]:
    """``-k`` for the tests of a module: its test files and the fault-injection file."""
    return ["-k", f"{module} or faults"]


def m(id: str, task: str, *patches: Patch, also: set[str] | None = None, survives: str = "") -> Mutant:
    return Mutant(id, task, tuple(patches), frozenset(also or ()), survives)


MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- producer
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
    # ---------------------------------------------------------------- consumer
    m("iterator_latest", "consumer.read_shard",
      (C, 'def get_shard_iterator(self, iterator_type: str = "TRIM_HORIZON")', 'def get_shard_iterator(self, iterator_type: str = "LATEST")'),
      also=READING),  # every reader starts from it
    m("bytes_decoded_characters", "consumer.read_shard",
      (C, 'self.bytes_processed += len(record["Data"])', 'self.bytes_processed += len(record["Data"].decode("utf-8"))')),
    m("read_gives_up_on_throttling", "consumer.read_shard",
      (C, "if code not in RETRYABLE_ERROR_CODES or failures >= 10:", "if True:")),
    m("stream_first_shard_only", "consumer.all_shards",
      (C, "    for shard_id in list_shard_ids(stream_name, client=kinesis):\n", "    for shard_id in list_shard_ids(stream_name, client=kinesis)[:1]:\n")),
    m("stream_stops_after_first_shard", "consumer.all_shards",
      (C, "        read += consumer.events_processed\n", "        read += consumer.events_processed\n        break\n")),
    m("list_first_shard_only", "consumer.all_shards",
      (C, "            return shard_ids\n", "            return shard_ids[:1]\n")),
    m("list_first_page_only", "consumer.all_shards",
      (C, "        if not token:\n            return shard_ids\n", "        return shard_ids\n"),
      survives="the embedded Kinesis lists every shard on one page (up to 10,000) and no test makes that many"),
    m("max_events_per_batch", "consumer.stopping",
      (C, "            limit = 1000 if max_events is None else max(1, min(1000, max_events - read))\n", "            limit = 1000\n")),
    m("max_seconds_ignored", "consumer.stopping",
      (C, "            if max_seconds is not None and time.monotonic() - started >= max_seconds:\n",
       "            if False:\n")),
    m("max_seconds_never_polls", "consumer.stopping",
      (C, "                if max_seconds is None:\n                    break\n", "                break\n")),
    m("throughput_whole_seconds", "consumer.throughput",
      (C, "        duration = time.monotonic() - self.start_time\n", "        duration = float(int(time.monotonic() - self.start_time))\n")),
    m("filter_inverted", "consumer.filtering",
      (C, "if self.event_filter is not None and not self.event_filter(event):", "if self.event_filter is not None and self.event_filter(event):")),
    m("matched_when_false", "consumer.filtering",
      (C, "if event is not None and self.process_event(event):", "if event is not None and self.process_event(event) is not None:")),
    m("processed_counts_only_matches", "consumer.filtering",
      (C, "                self.events_processed += 1\n", ""),
      (C, "                    self.events_matched += 1\n", "                    self.events_matched += 1\n                    self.events_processed += 1\n")),
]
