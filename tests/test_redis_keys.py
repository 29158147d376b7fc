"""The suite's own Redis hygiene: what it counts as a key left behind."""

from __future__ import annotations

import redis

from harness.redis_keys import drop_keys, keys_containing
from tests.conftest import REDIS_URL, RUN_MARKER


def test_a_key_named_around_a_prefix_outlives_drop_keys_and_is_found(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    # kombu named its bindings so before Celery's keys went under the prefix.
    stray = f"_kombu.binding.{redis_prefix}:tasks"
    redis_client.sadd(stray, "binding")
    redis_client.set(f"{redis_prefix}:budget", "1")
    try:
        drop_keys(REDIS_URL, redis_prefix)
        left = keys_containing(REDIS_URL, redis_prefix)
    finally:
        redis_client.delete(stray)

    assert left == [stray]


def test_every_prefix_of_the_run_carries_the_run_marker(redis_prefix: str) -> None:
    assert redis_prefix.startswith(RUN_MARKER)
    assert len(redis_prefix) > len(RUN_MARKER)
