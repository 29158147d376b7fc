"""The one Redis client factory: every process builds its clients here, with named timeouts.

The socket timeout stays well below ``models.store.db.SQLITE_BUSY_TIMEOUT_SECONDS``: the relay holds
SQLite's write lock across its ``XADD``, so a stalled Redis must fail the relay before other
writers give up waiting for the lock.
"""

from __future__ import annotations

import redis
import redis.asyncio

REDIS_SOCKET_TIMEOUT_SECONDS = 5
REDIS_CONNECT_TIMEOUT_SECONDS = 3


def make_redis(
    url: str, *, socket_timeout: float | None = REDIS_SOCKET_TIMEOUT_SECONDS
) -> redis.Redis:
    """A client for ``url`` (no connection is made yet); raises ValueError on a malformed URL.

    ``socket_timeout=None`` is for blocking reads (``XREADGROUP BLOCK``), which wait longer than
    any fixed timeout on purpose.
    """
    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS, socket_timeout=socket_timeout
    )


def make_async_redis(
    url: str, *, socket_timeout: float | None = REDIS_SOCKET_TIMEOUT_SECONDS
) -> redis.asyncio.Redis:
    """``make_redis`` for asyncio code (the mirror's ``/events``); same timeouts and errors."""
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS, socket_timeout=socket_timeout
    )
    return client
