"""Deleting every Redis key under a prefix (a test's or a benchmark's budget, locks, streams)."""

from __future__ import annotations

import redis


def drop_keys(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` on the Redis at ``url``."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
