"""Builds the process's collaborators from settings: engine, Redis, budget, client, sync engine.

This is the edge where settings are read; everything below it receives plain values. Failures to
reach Redis or the database become ``ServiceError`` with a one-line message naming the fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.db import DatabaseError, make_engine, upgrade
from settings import Settings
from worker.budget import RequestBudget
from worker.client import UpstreamClient, build_http_client
from worker.cycle import CycleSummary, Mode
from worker.locks import SingleFlight
from worker.outbox import record_changes
from worker.relay import relay_pending
from worker.store import Change
from worker.sync import Recorder, SyncEngine

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """Redis or the database is unreachable or misconfigured; the message is one line."""


def utc_now() -> dt.datetime:
    """The wall clock as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


# Well below models.db.SQLITE_BUSY_TIMEOUT_SECONDS: the relay holds SQLite's write lock across
# XADD, so a stalled Redis must fail the relay before other writers give up waiting for it.
REDIS_SOCKET_TIMEOUT_SECONDS = 5


def connect_redis(url: str) -> redis.Redis:
    """A Redis client that has answered PING."""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=3, socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS
        )
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise ServiceError(
            f"cannot reach Redis at {_redact(url)}: {str(error).rstrip('.')}. "
            "Start redis-server or set DOCKWATCH_REDIS_URL."
        ) from None
    return client


def connect_database(url: str, *, migrate: bool = True) -> Engine:
    """An engine on a reachable database, migrated to head unless ``migrate`` is False."""
    try:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        else:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
    except DatabaseError as error:
        raise ServiceError(f"{error}. Check DOCKWATCH_DATABASE_URL.") from None
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ServiceError(
            f"cannot use the database at {_redact(url)}: {reason}. Check DOCKWATCH_DATABASE_URL."
        ) from None
    return engine


def _redact(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}" if ":" in credentials else url


@dataclass
class Runtime:
    """The collaborators one process shares."""

    settings: Settings
    engine: Engine
    redis: redis.Redis
    budget: RequestBudget
    client: UpstreamClient
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    def sync_lock(self) -> SingleFlight:
        """The fleet-wide single-flight lock of the sync cycle."""
        return SingleFlight(
            self.redis, f"{self.settings.key_prefix}:sync-lock", self.settings.sync_lock_ttl_seconds
        )

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()
        self.redis.close()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Connect to the database and Redis and build the budgeted upstream client."""
    engine = connect_database(settings.database_url, migrate=migrate)
    redis_client = connect_redis(settings.redis_url)
    budget = RequestBudget(redis_client, settings.key_prefix, settings.rate_limit_per_hour)
    token = settings.api_token.get_secret_value() if settings.api_token else None
    http = build_http_client(settings.upstream_url + "/", token, settings.http_timeout_seconds)
    client = UpstreamClient(
        http,
        budget,
        max_attempts=settings.http_max_attempts,
        max_wait=settings.http_max_wait_seconds,
        clock=time.time,
    )
    return Runtime(settings, engine, redis_client, budget, client)


def outbox_recorder(runtime: Runtime) -> Recorder:
    """Writes a page's changes into the outbox, inside the page's transaction."""
    upstream = runtime.settings.upstream_url

    def record(session: Session, changes: list[Change], now: dt.datetime) -> int:
        return record_changes(session, changes, upstream_base=upstream, now=now)

    return record


def relay_now(runtime: Runtime) -> int:
    """Publish the outbox now (right after a commit); returns how many entries went out."""
    return relay_pending(
        runtime.engine,
        runtime.redis,
        stream=runtime.settings.stream,
        retention_days=runtime.settings.stream_retention_days,
    )


def run_locked_cycle(
    runtime: Runtime, mode: Mode, *, after_commit: Callable[[], object] | None = None
) -> CycleSummary | None:
    """One sync cycle under the single-flight lock; None when another cycle holds it.

    A heartbeat thread keeps the lock alive while the cycle runs, so its TTL can stay short:
    a cycle killed outright frees the lock within one TTL.
    """
    lock = runtime.sync_lock()
    if not lock.acquire():
        return None
    stop, lost = threading.Event(), threading.Event()
    heartbeat = threading.Thread(
        target=_keep_alive, args=(lock, stop, lost), name="sync-lock-heartbeat", daemon=True
    )
    heartbeat.start()
    try:
        engine = SyncEngine(
            runtime.engine,
            runtime.client,
            runtime.budget,
            clock=runtime.clock,
            record=outbox_recorder(runtime),
            after_commit=after_commit,
            notify_backfill=runtime.settings.notify_backfill,
            still_locked=lambda: not lost.is_set(),
        )
        return engine.run_cycle(mode)
    finally:
        stop.set()
        heartbeat.join()
        try:
            lock.release()
        except redis.RedisError as error:
            log.warning("could not release the sync lock (it expires by itself): %s", error)


def _keep_alive(lock: SingleFlight, stop: threading.Event, lost: threading.Event) -> None:
    while not stop.wait(lock.ttl_seconds / 3):
        try:
            extended = lock.extend()
        except redis.RedisError as error:
            log.warning("could not extend the sync lock: %s", error)
            continue
        if not extended:
            log.error("lost the sync lock (its TTL passed); stopping this cycle")
            lost.set()
            return
