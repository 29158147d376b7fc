"""The one bootstrap: builds a process's collaborators from settings and wires them together.

This is the edge where settings are read; everything it builds receives plain values. Failures
to reach Redis or the database become ``ServiceError`` with a one-line message naming the fix
(and never a password).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.fleet.counters import SharedCounters
from models.fleet.redis_client import make_redis
from models.store.data_version import announce_data_version
from models.store.db import DatabaseError, make_engine, sqlite_file, upgrade
from models.support.clock import Clock, utc_now
from models.support.redact import redact_url
from settings import Settings
from worker.notify.outbox import record_changes
from worker.notify.relay import Relay
from worker.schedule import Cadence, derive_cadence
from worker.sync.changes import Change
from worker.sync.cycle import SyncCycle
from worker.sync.lock import SingleFlight
from worker.sync.locked import run_locked
from worker.sync.summary import CycleSummary, Mode
from worker.sync.unit_of_work import UnitOfWork
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient, build_http_client

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """Redis or the database is unreachable or misconfigured; the message is one line."""


def redis_unreachable(url: str, detail: str) -> str:
    """The one-line message of a Redis that does not answer: where, why (``detail``), the fix.

    ``detail`` keeps its own closing ``?`` or ``!`` (redis-py's AUTH error ends with a question);
    otherwise the sentence ends with one full stop.
    """
    reason = detail.strip().rstrip(".")
    stop = "" if reason.endswith(("?", "!")) else "."
    return (
        f"cannot reach Redis at {redact_url(url)}: {reason}{stop} "
        "Start redis-server or set DOCKWATCH_REDIS_URL."
    )


def connect_redis(url: str) -> redis.Redis:
    """A Redis client that has answered PING; raises ServiceError."""
    try:
        client = make_redis(url)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise ServiceError(redis_unreachable(url, str(error))) from None
    return client


def connect_database(url: str, *, migrate: bool = True, create: bool = True) -> Engine:
    """An engine on a reachable database, migrated to head unless ``migrate`` is False.

    With ``create`` False a missing SQLite file is an error rather than a new empty database
    (SQLite creates the file on first connect), for commands that only read. Raises
    ServiceError.
    """
    missing = None if create else sqlite_file(url)
    if missing is not None and not missing.exists():
        where = missing.resolve()
        if not where.parent.is_dir():
            raise ServiceError(
                f"cannot use the database at {where}: its folder does not exist. "
                "Check DOCKWATCH_DATABASE_URL."
            )
        raise ServiceError(
            f"no database at {where}: nothing has synced there yet. Run `dockwatch db upgrade`"
            " or `dockwatch run` first, or point DOCKWATCH_DATABASE_URL at the database in use."
        )
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
            f"cannot use the database at {redact_url(url)}: {reason}. Check DOCKWATCH_DATABASE_URL."
        ) from None
    return engine


@contextmanager
def open_database(url: str, *, migrate: bool = True, create: bool = True) -> Iterator[Engine]:
    """``connect_database`` for a ``with`` block: the engine is disposed when the block ends.

    (A client from ``connect_redis`` is its own context manager: ``with`` closes it.)
    """
    engine = connect_database(url, migrate=migrate, create=create)
    try:
        yield engine
    finally:
        engine.dispose()


def cadence_for(settings: Settings) -> Cadence:
    """The cadence the settings ask for (the one place settings become a cadence)."""
    return derive_cadence(
        settings.rate_limit_per_hour, settings.sweep_budget_share, settings.poll_interval_seconds
    )


def sync_lock_key(settings: Settings) -> str:
    """The Redis key of the fleet-wide sync lock."""
    return f"{settings.key_prefix}:sync-lock"


@dataclass(frozen=True)
class SyncOptions:
    """The plain values the sync needs past the edge."""

    upstream_url: str
    notify_backfill: bool
    lock_key: str
    lock_ttl_seconds: float
    key_prefix: str


@dataclass
class Runtime:
    """The collaborators one process shares, wired for sync cycles and the relay."""

    engine: Engine
    redis: redis.Redis
    budget: RequestBudget
    client: UpstreamClient
    relay: Relay
    options: SyncOptions
    clock: Clock = field(default=utc_now)
    counters: SharedCounters | None = None

    def sync_lock(self) -> SingleFlight:
        """The fleet-wide single-flight lock of the sync cycle."""
        return SingleFlight(self.redis, self.options.lock_key, self.options.lock_ttl_seconds)

    def relay_now(self) -> int:
        """Publish the outbox now; returns how many notifications went out."""
        return self.relay.publish_pending()

    def record(self, session: Session, changes: Sequence[Change], now: dt.datetime) -> int:
        """Write outbox rows for ``changes`` inside the page's transaction."""
        return record_changes(session, changes, upstream_base=self.options.upstream_url, now=now)

    def after_commit(self) -> int:
        """After a page's commit: tell the mirrors to check the data version, then relay.

        The hint is best effort (a mirror also checks on its own); the relay's failure is the
        unit of work's to log.
        """
        try:
            announce_data_version(self.redis, self.options.key_prefix)
        except redis.RedisError as error:
            log.warning("cannot announce the new data version (mirrors see it later): %s", error)
        return self.relay.after_commit()

    def sync_cycle(self, still_locked: Callable[[], bool]) -> SyncCycle:
        """A cycle whose pages commit through a unit of work guarded by ``still_locked``."""
        uow = UnitOfWork(
            self.engine,
            clock=self.clock,
            record=self.record,
            after_commit=self.after_commit,
            still_locked=still_locked,
        )
        return SyncCycle(
            uow,
            self.client,
            self.budget,
            notify_backfill=self.options.notify_backfill,
            counters=self.counters,
        )

    def run_cycle(self, mode: Mode) -> CycleSummary | None:
        """One cycle under the single-flight lock; None when another cycle holds it."""
        return run_locked(self.sync_lock(), lambda still: self.sync_cycle(still).run(mode))

    def close(self) -> None:
        """Release connections."""
        self.client.close()
        self.engine.dispose()
        self.redis.close()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Connect to the database and Redis and build the budgeted upstream client and relay."""
    engine = connect_database(settings.database_url, migrate=migrate)
    redis_client = connect_redis(settings.redis_url)
    budget = RequestBudget(redis_client, settings.key_prefix, settings.rate_limit_per_hour)
    counters = SharedCounters(redis_client, settings.key_prefix)
    token = settings.api_token.get_secret_value() if settings.api_token else None
    http = build_http_client(settings.upstream_url + "/", token, settings.http_timeout_seconds)
    client = UpstreamClient(
        http,
        budget,
        max_attempts=settings.http_max_attempts,
        max_wait=settings.http_max_wait_seconds,
        clock=time.time,
        counters=counters,
    )
    relay = Relay(engine, redis_client, settings.stream, settings.stream_retention_days)
    options = SyncOptions(
        upstream_url=settings.upstream_url,
        notify_backfill=settings.notify_backfill,
        lock_key=sync_lock_key(settings),
        lock_ttl_seconds=settings.sync_lock_ttl_seconds,
        key_prefix=settings.key_prefix,
    )
    return Runtime(engine, redis_client, budget, client, relay, options, counters=counters)
