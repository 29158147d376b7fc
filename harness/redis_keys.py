"""The test Redis and its keys: deleting a test's (or a benchmark's) keys, finding leftovers."""

from __future__ import annotations

import os

import redis

# The Redis the suite and the benchmarks use; each test keeps to keys under its own prefix.
TEST_REDIS_URL = os.environ.get("DOCKWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def drop_keys(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` on the Redis at ``url``."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def keys_containing(url: str, marker: str) -> list[str]:
    """Every key on the Redis at ``url`` whose name contains ``marker`` anywhere, sorted.

    Anywhere, not only at the start: a library that writes its own names around a prefix
    (kombu's ``_kombu.binding.<queue>``) leaves keys that ``drop_keys`` never sees.
    """
    client = redis.Redis.from_url(url)
    try:
        return sorted(key.decode() for key in client.scan_iter(match=f"*{marker}*", count=1000))
    finally:
        client.close()
