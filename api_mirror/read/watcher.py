"""The watcher: learns of new data versions without a database query per request.

A background thread brings the serving process's snapshot up to date (``Snapshots.refresh``:
one small query when nothing changed) at a fixed interval, and at once when a writer's hint
arrives on the data-version Pub/Sub channel (``models.store.data_version``; the sync publishes it
after each commit). The hint is only a wake-up: the version read decides. So without Redis, or while
it is down, the interval alone keeps the mirror correct, at most ``interval`` seconds (plus one
refresh) behind the last commit; with the hint it follows within milliseconds. Every mirror process,
on any machine, watches the shared database this way, so each stays correct on its own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import redis
from sqlalchemy.exc import SQLAlchemyError

from api_mirror.read.current import Snapshots
from models.fleet.redis_client import make_redis
from models.support.redact import redact_url

log = logging.getLogger(__name__)

# How long a wait for a hint blocks at most when no interval is set (so a stop is noticed).
_HINT_POLL_SECONDS = 1.0
# Seconds between attempts to subscribe again once Redis failed (the interval goes on meanwhile).
RESUBSCRIBE_SECONDS = 10.0


@dataclass(frozen=True)
class Hints:
    """Where writers announce new data versions: a Redis URL and the Pub/Sub channel."""

    redis_url: str
    channel: str


class SnapshotWatcher:
    """Keeps ``snapshots`` current from a thread of its own (``start`` / ``stop``).

    ``interval`` is the period of the check in seconds (None: only hints trigger it); ``hints``
    where to listen for them (None: the interval alone).
    """

    def __init__(
        self, snapshots: Snapshots, *, interval: float | None, hints: Hints | None
    ) -> None:
        self.snapshots = snapshots
        self.interval = interval
        self.hints = hints
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: redis.Redis | None = None
        self._pubsub: redis.client.PubSub | None = None
        self._failing = False
        self._hints_down = False
        self._subscribe_after = 0.0

    def start(self) -> None:
        """Start checking (a no-op with neither an interval nor hints)."""
        if self.interval is None and self.hints is None:
            return
        self._thread = threading.Thread(target=self._run, name="dockwatch-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking and release the Redis connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close_pubsub()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wait()
            if self._stop.is_set():
                return
            try:
                self.snapshots.refresh()
            except (SQLAlchemyError, OSError) as error:
                if not self._failing:
                    log.warning("cannot read the data version (serving the last snapshot): %s",
                                error)  # fmt: skip
                self._failing = True
            except Exception:  # the watcher must outlive any one failed check
                log.exception("checking the data version failed (serving the last snapshot)")
                self._failing = True
            else:
                if self._failing:
                    log.info("reading the data version again")
                self._failing = False

    def _wait(self) -> None:
        """Until a hint, the interval, or a stop, whichever comes first."""
        timeout = self.interval if self.interval is not None else _HINT_POLL_SECONDS
        pubsub = self._subscription()
        if pubsub is None:
            self._stop.wait(timeout)
            return
        try:
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            while message is None and self.interval is None and not self._stop.is_set():
                message = pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            # Drain what else arrived: one refresh answers them all.
            while message is not None:
                message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
        except (redis.RedisError, OSError) as error:
            self._lost(error)
            self._stop.wait(timeout)

    def _subscription(self) -> redis.client.PubSub | None:
        if self.hints is None or time.monotonic() < self._subscribe_after:
            return self._pubsub
        if self._pubsub is None:
            try:
                self._client = make_redis(self.hints.redis_url)
                pubsub = self._client.pubsub()  # type: ignore[no-untyped-call]
                pubsub.subscribe(self.hints.channel)
                self._pubsub = pubsub
            except (redis.RedisError, OSError) as error:
                self._lost(error)
            else:
                if self._hints_down:
                    log.info("data-version hints from Redis again")
                self._hints_down = False
        return self._pubsub

    def _lost(self, error: Exception) -> None:
        if not self._hints_down:
            # The error itself is the argument: a process collapsing Redis outages into one
            # line (``dockwatch run``) recognises the record by it.
            log.warning(
                "no data-version hints from Redis at %s (%s); checking every %s s meanwhile",
                redact_url(self.hints.redis_url if self.hints else ""),
                error,
                self.interval if self.interval is not None else _HINT_POLL_SECONDS,
            )
        self._hints_down = True
        self._subscribe_after = time.monotonic() + RESUBSCRIBE_SECONDS
        self._close_pubsub()

    def _close_pubsub(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub = self._client = None
        for closable in (pubsub, client):
            if closable is not None:
                with contextlib.suppress(redis.RedisError, OSError):
                    closable.close()
