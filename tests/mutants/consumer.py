"""Mistakes of the consumer's tasks (see ``tests.mutants.mutants`` for what a mutant declares)."""

from __future__ import annotations

from tests.mutants.model import READING, C, Mutant, P, m  # noqa: F401

CONSUMER_MUTANTS: list[Mutant] = [
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
