"""Single-flight: at most one holder of a named job (the sync cycle) across every process.

A thin layer over redis-py's ``Lock``: the key holds a token with a TTL, taken with
``SET NX PX`` and released or extended only by a Lua check of that token, so a holder that
outlived its TTL can never free (or prolong) a lock another process has since taken over. The
TTL is what frees the lock when a holder dies without releasing it, unless the next process on
the same host sees the holder is dead:

The token names its holder: JSON ``{"host", "pid", "since", "pidns", "nonce"}`` (``pidns`` is the
holder's PID namespace, so two containers that share a host name never judge each other's
processes). A process that finds the lock busy and held by a process of its own host and PID
namespace that no longer exists (or is a zombie) takes it over at once: a Lua compare-and-delete
frees the key only if it still holds that dead holder's token, then the lock is taken as usual.
A live holder, one elsewhere, or a token that names nobody is only ever freed by its TTL.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from redis import Redis
from redis.exceptions import LockError

from models.fleet.readings import LockHeld

logger = logging.getLogger(__name__)

# KEYS: the lock. ARGV: the token it must still hold. Deletes it only then; returns 1 if so.
_DELETE_IF_HELD_BY = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _pid_namespace() -> str:
    """This process's PID namespace (Linux), or "" where there is no such notion."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def process_exists(pid: int) -> bool:
    """Whether ``pid`` names a live process here (a zombie, killed but not reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        # /proc/<pid>/stat: "pid (comm) state …"; the command may hold spaces and parentheses.
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: a process on a host, since an instant (epoch)."""

    host: str
    pid: int
    since: float
    pidns: str = ""

    @classmethod
    def this_process(cls, now: float) -> Holder:
        """This process, taking the lock at ``now``."""
        return cls(socket.gethostname(), os.getpid(), now, _pid_namespace())

    def token(self) -> str:
        """The lock's value: this holder as JSON, made unique by a nonce."""
        fields = {"host": self.host, "pid": self.pid, "since": self.since, "pidns": self.pidns}
        return json.dumps({**fields, "nonce": uuid.uuid4().hex}, separators=(",", ":"))

    @classmethod
    def of_token(cls, token: bytes | str) -> Holder | None:
        """The holder a token names; None for a token that names nobody (not ours)."""
        try:
            fields: dict[str, Any] = json.loads(token)
            return cls(
                str(fields["host"]), int(fields["pid"]), float(fields["since"]), fields["pidns"]
            )
        except (ValueError, TypeError, KeyError):
            return None

    def is_dead_here(self, alive: Callable[[int], bool] = process_exists) -> bool:
        """Whether this holder is a process of this host (and PID namespace) that is gone."""
        here = self.host == socket.gethostname() and self.pidns == _pid_namespace()
        return here and self.pid != os.getpid() and not alive(self.pid)


class SingleFlight:
    """A non-blocking, token-safe, expiring lock on ``key`` that names its holder."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
        alive: Callable[[int], bool] = process_exists,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.key = key
        self.ttl_seconds = ttl_seconds
        self._redis = redis
        self._clock = clock
        self._alive = alive
        # thread_local=False: a heartbeat thread may extend what the cycle's thread acquired.
        self._lock = redis.lock(key, timeout=ttl_seconds, blocking=False, thread_local=False)
        self._delete_if_held_by = redis.register_script(_DELETE_IF_HELD_BY)

    def __repr__(self) -> str:
        return f"SingleFlight(key={self.key!r}, ttl_seconds={self.ttl_seconds})"

    def acquire(self) -> bool:
        """Take the lock if nobody holds it, or if its holder died on this host; never waits."""
        token = Holder.this_process(self._clock()).token()
        if self._lock.acquire(blocking=False, token=token):
            return True
        held_by = cast("bytes | None", self._redis.get(self.key))
        if held_by is None:  # freed in between: one more try
            return bool(self._lock.acquire(blocking=False, token=token))
        holder = Holder.of_token(held_by)
        if holder is None or not holder.is_dead_here(self._alive):
            return False
        if not self._delete_if_held_by(keys=[self.key], args=[held_by]):
            return False  # it changed hands meanwhile: that holder is alive
        logger.warning(
            "took over the lock %s from process %d on this host, which died holding it",
            self.key,
            holder.pid,
        )
        return bool(self._lock.acquire(blocking=False, token=token))

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

    def holder(self) -> LockHeld | None:
        """Who holds the lock now: ``host``, ``pid``, ``since`` (epoch) and
        ``expires_in_seconds``; None when it is free. A token that names nobody gives nulls."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self.key)
        pipe.pttl(self.key)
        token, ttl_ms = pipe.execute()
        if token is None:
            return None
        holder = Holder.of_token(token)
        return LockHeld(
            host=None if holder is None else holder.host,
            pid=None if holder is None else holder.pid,
            since=None if holder is None else holder.since,
            expires_in_seconds=max(0.0, int(ttl_ms) / 1000),
        )
