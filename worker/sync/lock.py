"""Single-flight: at most one holder of a named job (the sync cycle) across every process.

A thin layer over redis-py's ``Lock``: the key holds a random token with a TTL, taken with
``SET NX PX`` and released or extended only by a Lua check of that token, so a holder that
outlived its TTL can never free (or prolong) a lock another process has since taken over. The
TTL is what frees the lock when a holder dies without releasing it.
"""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import LockError

logger = logging.getLogger(__name__)


class SingleFlight:
    """A non-blocking, token-safe, expiring lock on ``key``."""

    def __init__(self, redis: Redis, key: str, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.key = key
        self.ttl_seconds = ttl_seconds
        # thread_local=False: a heartbeat thread may extend what the cycle's thread acquired.
        self._lock = redis.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)

    def __repr__(self) -> str:
        return f"SingleFlight(key={self.key!r}, ttl_seconds={self.ttl_seconds})"

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        return bool(self._lock.acquire(blocking=False))

    def release(self) -> bool:
        """Give the lock up; False (and a warning) if it had expired and was no longer ours."""
        try:
            self._lock.release()
        except LockError:  # LockNotOwnedError included
            logger.warning("single-flight lock %s was lost before release (ttl expired?)", self.key)
            return False
        return True

    def extend(self) -> bool:
        """Reset the TTL to ``ttl_seconds`` from now; False if the lock is no longer ours."""
        try:
            return bool(self._lock.reacquire())
        except LockError:
            return False

    @property
    def held(self) -> bool:
        """Whether Redis still holds this instance's token."""
        return bool(self._lock.owned())
