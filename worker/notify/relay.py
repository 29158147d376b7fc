"""The relay: publishes committed outbox rows to the Redis Stream, in order, at least once.

Each batch runs in one database transaction: take the relay lock, read the oldest pending rows
(``seq`` order), ``XADD`` them to the stream and ``PUBLISH`` a wake-up hint on the channel of
the same name (one ``MULTI``/``EXEC``, so Redis gets all of a batch or none of it), then mark
them published and commit. Delivery is at-least-once: a crash after ``XADD`` and before the
commit leaves the rows pending, and the next run publishes them again; subscribers deduplicate
by the CloudEvent ``id``. If Redis is unreachable the transaction rolls back and nothing is
lost; ``run_relay_forever`` backs off and retries.

Only one relay works at a time, whatever the number of processes: PostgreSQL takes a
transaction-scoped advisory lock, SQLite starts the transaction with ``BEGIN IMMEDIATE`` (its
single writer lock). A per-row ``SKIP LOCKED`` would let a second relay publish later rows
before the first one's earlier rows and break per-subject order, so the lock is relay-wide.
The stream is trimmed with ``MINID ~``: approximate trimming only drops whole nodes older than
the cutoff, so at least ``retention_days`` of entries are always kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import Connection, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from models.fleet.stream import EVENT_FIELD
from models.store.tables import OutboxEntry, table_of
from models.support.clock import utc_now
from models.support.compact_json import compact_json

log = logging.getLogger(__name__)

CRASH_ENV = "DOCKWATCH_CRASH_AT"
# An arbitrary constant naming the relay among PostgreSQL advisory locks ("dockwatc").
ADVISORY_LOCK_KEY = 0x646F636B77617463
DEFAULT_BATCH = 500
# The safety net: pending rows are looked for at least this often even without a wake-up.
DEFAULT_INTERVAL_SECONDS = 30.0
BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
_DAY_MS = 86_400_000


class RelayUnavailable(Exception):
    """Redis could not take the batch; the rows stay pending. The message is one line."""


def crash_point(name: str) -> None:
    """Die by SIGKILL here when ``DOCKWATCH_CRASH_AT`` names this point (crash tests only)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def wake_channel(stream: str) -> str:
    """The Pub/Sub channel that wakes relay loops (subscribers listen on ``stream`` itself)."""
    return f"{stream}:relay"


def wake_relay(redis_client: redis.Redis, stream: str) -> None:
    """Tell running relay loops that new outbox rows were committed (call after commit)."""
    redis_client.publish(wake_channel(stream), "1")


def min_id(now: dt.datetime, retention_days: float) -> str:
    """The oldest stream id retention requires keeping, for ``XADD … MINID ~``."""
    cutoff = int(now.timestamp() * 1000) - int(retention_days * _DAY_MS)
    return f"{max(cutoff, 0)}-0"


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    else:
        # Must be the transaction's first statement; waits out other writers (busy_timeout).
        # Held across the XADD: worker.bootstrap's Redis timeout must stay well below busy_timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _publish(
    redis_client: redis.Redis, stream: str, payloads: list[Any], retention_days: float
) -> None:
    cutoff = min_id(utc_now(), retention_days)
    pipe = redis_client.pipeline(transaction=True)
    for payload in payloads:
        event = compact_json(payload)
        pipe.xadd(stream, {EVENT_FIELD: event}, minid=cutoff, approximate=True)
    pipe.publish(stream, str(len(payloads)))
    try:
        pipe.execute()
    except redis.RedisError as error:
        raise RelayUnavailable(f"cannot publish to Redis stream {stream!r}: {error}") from error


def relay_batch(
    engine: Engine,
    redis_client: redis.Redis,
    *,
    stream: str,
    retention_days: float,
    batch: int = DEFAULT_BATCH,
) -> int:
    """Publish up to ``batch`` of the oldest pending rows; returns how many were published."""
    table = table_of(OutboxEntry)
    with engine.connect() as connection:
        _lock(connection)
        query = (
            select(table.c.seq, table.c.payload)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(batch)
        )
        rows = connection.execute(query).all()
        if not rows:
            connection.rollback()
            return 0
        crash_point("relay.before_xadd")
        _publish(redis_client, stream, [row.payload for row in rows], retention_days)
        crash_point("relay.after_xadd")
        published = update(table).where(table.c.seq.in_([row.seq for row in rows]))
        connection.execute(published.values(published_at=utc_now()))
        connection.commit()
    return len(rows)


def relay_pending(
    engine: Engine,
    redis_client: redis.Redis,
    *,
    stream: str,
    retention_days: float,
    batch: int = DEFAULT_BATCH,
) -> int:
    """Publish every pending row, batch after batch; returns the number published.

    Raises ``RelayUnavailable`` when Redis fails (rows already published stay published).
    """
    total = 0
    while True:
        count = relay_batch(
            engine, redis_client, stream=stream, retention_days=retention_days, batch=batch
        )
        total += count
        if count < batch:
            if total:
                log.info("relayed %d notifications to %s", total, stream)
            return total


def _wait_for_wake(pubsub: Any, seconds: float, stop: threading.Event) -> None:
    """Block until a wake-up message, ``stop`` or the safety-net interval, whichever is first."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        # Short slices so that ``stop`` is noticed promptly.
        if pubsub.get_message(ignore_subscribe_messages=True, timeout=min(remaining, 0.5)):
            while pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                pass  # several commits, one relay run
            return


def run_relay_forever(
    engine: Engine,
    redis_client: redis.Redis,
    *,
    stream: str,
    retention_days: float,
    batch: int = DEFAULT_BATCH,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    stop: threading.Event | None = None,
) -> None:
    """Relay whenever ``wake_relay`` is called and every ``interval`` s, until ``stop`` is set.

    Redis or database failures back off exponentially (with jitter, capped) and retry; nothing
    is lost because unpublished rows simply stay pending.
    """
    stop = stop or threading.Event()
    delay = BACKOFF_INITIAL_SECONDS
    pubsub: Any = None
    while not stop.is_set():
        try:
            if pubsub is None:
                # Subscribe before relaying so a commit made meanwhile still wakes us.
                pubsub = redis_client.pubsub()  # type: ignore[no-untyped-call]
                pubsub.subscribe(wake_channel(stream))
            relay_pending(
                engine, redis_client, stream=stream, retention_days=retention_days, batch=batch
            )
            delay = BACKOFF_INITIAL_SECONDS
            _wait_for_wake(pubsub, interval, stop)
        except (RelayUnavailable, redis.RedisError, OperationalError) as error:
            log.warning("relay failed, retrying in %.1f s: %s", delay, error)
            if pubsub is not None:
                _close_quietly(pubsub)
                pubsub = None
            stop.wait(delay * random.uniform(0.5, 1.0))  # jitter: restarts spread out
            delay = min(delay * 2, BACKOFF_MAX_SECONDS)
    if pubsub is not None:
        _close_quietly(pubsub)


def _close_quietly(pubsub: Any) -> None:
    try:
        pubsub.close()
    except redis.RedisError:
        log.debug("closing a broken Pub/Sub connection failed", exc_info=True)


@dataclass(frozen=True)
class Relay:
    """The relay of one outbox (``engine``) to one stream: the one way notifications leave.

    The process that commits calls ``after_commit`` right after each commit: it wakes the relay
    loop (``run_forever``, one per deployment) with a Pub/Sub publish and publishes the pending
    rows itself. The loop also looks every ``DEFAULT_INTERVAL_SECONDS``, so rows left behind by
    a process that died between its commit and its relay, or while Redis was down, still go out.
    """

    engine: Engine
    redis: redis.Redis
    stream: str
    retention_days: float

    def publish_pending(self) -> int:
        """Publish every pending row now; raises RelayUnavailable when Redis fails."""
        return relay_pending(
            self.engine, self.redis, stream=self.stream, retention_days=self.retention_days
        )

    def after_commit(self) -> int:
        """Wake the relay loop, then publish the pending rows; returns how many went out."""
        try:
            wake_relay(self.redis, self.stream)
        except redis.RedisError as error:
            raise RelayUnavailable(f"cannot wake the relay: {error}") from error
        return self.publish_pending()

    def run_forever(self, stop: threading.Event) -> None:
        """The relay loop, until ``stop`` is set."""
        run_relay_forever(
            self.engine,
            self.redis,
            stream=self.stream,
            retention_days=self.retention_days,
            stop=stop,
        )
