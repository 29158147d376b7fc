"""The one composition root: builds each process from settings and wires its collaborators.

The sync (``build_runtime``: the Celery tasks and ``dockwatch sync``), the mirror
(``mirror_process``: the app and uvicorn's configuration ``dockwatch serve`` runs), the relay
(``relay_process``), the webhook delivery (``delivery_process``) and the MQTT publisher
(``mqtt_process``), plus the Redis readers of
``dockwatch status`` and /status. This is the edge where settings are read; everything it builds
receives plain values, and tests build through the same functions, replacing what they need
(a clock, a config, the mirror's Redis side). Failures to reach Redis or the database become
``ServiceError`` with a one-line message naming the fix (and never a password).
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.fleet.counters import SharedCounters
from models.fleet.keys import FleetKeys
from models.fleet.readings import BudgetUsage, LockFree, LockHeld
from models.fleet.redis_client import make_redis
from models.store.data_version import announce_data_version, data_version_channel
from models.store.db import (
    DatabaseError,
    ForeignDatabase,
    alembic_config,
    check_ours,
    make_engine,
    sqlite_file,
    upgrade,
)
from models.store.status import BudgetReader, LockReader
from models.support.clock import Clock, utc_now
from models.support.redact import redact_url, without_credentials
from settings import Settings, SettingsError
from worker.notify.mqtt.broker import Broker, BrokerRefused, BrokerUnreachable, Message
from worker.notify.mqtt.publisher import MqttPublisher
from worker.notify.mqtt.topics import OFFLINE, Topics
from worker.notify.outbox import record_changes
from worker.notify.relay import Relay
from worker.notify.webhook_delivery import run_webhooks_forever
from worker.redis_outage import quiet_redis_outages
from worker.schedule import Cadence, derive_cadence
from worker.sync.changes import Change
from worker.sync.cycle import SyncCycle
from worker.sync.lock import SingleFlight
from worker.sync.locked import run_locked
from worker.sync.summary import CycleSummary, Mode
from worker.sync.unit_of_work import UnitOfWork
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient, build_http_client

if TYPE_CHECKING:  # the mirror's modules are imported when a mirror is built, not before
    import uvicorn
    from fastapi import FastAPI

    from api_mirror.http.config import MirrorConfig
    from api_mirror.http.fleet_metrics import FleetRedis
    from api_mirror.http.routes.events import EventFeed
    from api_mirror.read.watcher import Hints

log = logging.getLogger(__name__)
MIB = 1024 * 1024


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


# A table only dockwatch's schema has.
DOCKWATCH_TABLE = "docking_event"


def connect_database(url: str, *, migrate: bool = True, create: bool = True) -> Engine:
    """An engine on a reachable database, migrated to head unless ``migrate`` is False.

    With ``create`` False a missing SQLite file is an error rather than a new empty database
    (SQLite creates the file on first connect), for commands that only read. Raises
    ServiceError, or SettingsError when the URL names a database that holds tables but no
    dockwatch schema (nothing is created there).
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
                # Another app's database is refused whether or not we migrate; one already
                # holding our tables (made without Alembic, as the tests' are) is ours.
                try:
                    check_ours(connection, alembic_config(url))
                except ForeignDatabase as foreign:
                    if foreign.revision is not None or DOCKWATCH_TABLE not in foreign.tables:
                        raise
    except ForeignDatabase as error:
        raise SettingsError(
            f"DOCKWATCH_DATABASE_URL names a database ({redact_url(url)}) that {error}: dockwatch"
            " adds no tables there. Point it at an empty database or at dockwatch's own."
        ) from None
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
    return FleetKeys(settings.key_prefix).sync_lock


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
        return self.cycle_through(uow)

    def cycle_through(self, uow: UnitOfWork) -> SyncCycle:
        """A cycle of this runtime's client and budget committing through ``uow`` (tests give
        one with their own recorder and after-commit hook, or none)."""
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


def request_budget(
    settings: Settings, redis_client: redis.Redis, *, clock: Callable[[], float] = time.time
) -> RequestBudget:
    """The shared request budget of the configured upstream (``clock`` gives epochs)."""
    return RequestBudget(
        redis_client,
        settings.key_prefix,
        settings.rate_limit_per_hour,
        clock=clock,
        upstream_url=settings.upstream_url,
    )


def build_runtime(
    settings: Settings,
    *,
    migrate: bool = True,
    engine: Engine | None = None,
    redis_client: redis.Redis | None = None,
    clock: Clock = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> Runtime:
    """Connect to the database and Redis and build the budgeted upstream client and relay.

    Tests pass what they built themselves: an ``engine`` (used as it is, not migrated), a
    ``redis_client`` (not pinged), a ``clock`` that the unit of work, the budget and the
    client's back-off all read, and the retries' ``sleep``.
    """
    if engine is None:
        engine = connect_database(settings.database_url, migrate=migrate)
    if redis_client is None:
        redis_client = connect_redis(settings.redis_url)

    def epoch() -> float:
        return clock().timestamp()

    budget = request_budget(settings, redis_client, clock=epoch)
    counters = SharedCounters(redis_client, settings.key_prefix)
    token = settings.api_token.get_secret_value() if settings.api_token else None
    http = build_http_client(settings.upstream_url + "/", token, settings.http_timeout_seconds)
    client = UpstreamClient(
        http,
        budget,
        max_attempts=settings.http_max_attempts,
        max_wait=settings.http_max_wait_seconds,
        sleep=sleep,
        clock=epoch,
        counters=counters,
    )
    relay = build_relay(settings, engine, redis_client)
    options = SyncOptions(
        upstream_url=settings.upstream_url,
        notify_backfill=settings.notify_backfill,
        lock_key=sync_lock_key(settings),
        lock_ttl_seconds=settings.sync_lock_ttl_seconds,
        key_prefix=settings.key_prefix,
    )
    return Runtime(
        engine, redis_client, budget, client, relay, options, clock=clock, counters=counters
    )


def build_relay(settings: Settings, engine: Engine, redis_client: redis.Redis) -> Relay:
    """The relay of the outbox to the configured stream."""
    return Relay(engine, redis_client, settings.stream, settings.stream_retention_days)


@contextmanager
def open_services(settings: Settings, *, migrate: bool) -> Iterator[tuple[Engine, redis.Redis]]:
    """A long-running child's start: the database and a Redis that answered, both closed when
    the block ends; from here a Redis outage is one line when it starts and one when it ends
    (``worker.redis_outage``). Raises ServiceError."""
    with (
        open_database(settings.database_url, migrate=migrate) as engine,
        connect_redis(settings.redis_url) as redis_client,
    ):
        quiet_redis_outages(logging.getLogger().handlers, settings.redis_url)
        yield engine, redis_client


@contextmanager
def relay_process(settings: Settings) -> Iterator[Relay]:
    """The ``dockwatch relay`` process: its relay, until the block ends."""
    with open_services(settings, migrate=False) as (engine, redis_client):
        yield build_relay(settings, engine, redis_client)


def webhook_http(settings: Settings) -> httpx.Client:
    """The HTTP client webhook deliveries go out on (one attempt's timeout from settings)."""
    return httpx.Client(timeout=settings.webhook_timeout_seconds)


@dataclass(frozen=True)
class Delivery:
    """The webhook delivery process's collaborators; ``run`` delivers until ``stop`` is set."""

    engine: Engine
    redis: redis.Redis
    http: httpx.Client
    stream: str
    counters: SharedCounters

    def run(self, stop: threading.Event) -> None:
        """One delivery thread per enabled endpoint until ``stop``."""
        run_webhooks_forever(
            self.engine,
            self.redis,
            self.http,
            stream=self.stream,
            stop=stop,
            counters=self.counters,
        )


@contextmanager
def delivery_process(settings: Settings) -> Iterator[Delivery]:
    """The ``dockwatch webhooks deliver`` process, until the block ends."""
    with (
        open_services(settings, migrate=False) as (engine, redis_client),
        webhook_http(settings) as http,
    ):
        counters = SharedCounters(redis_client, settings.key_prefix)
        yield Delivery(engine, redis_client, http, settings.stream, counters)


@contextmanager
def budget_process(settings: Settings) -> Iterator[RequestBudget]:
    """``dockwatch budget``: the configured upstream's budget on a Redis that answered, until
    the block ends. Raises ServiceError."""
    with connect_redis(settings.redis_url) as redis_client:
        yield request_budget(settings, redis_client)


def mqtt_broker(settings: Settings) -> Broker:
    """The broker ``DOCKWATCH_MQTT_URL`` names; raises SettingsError when it is unset."""
    if settings.mqtt_url is None:
        raise SettingsError(
            "DOCKWATCH_MQTT_URL is not set: set it to the broker's URL, such as"
            " mqtt://user:password@127.0.0.1:1883 (mqtts:// for TLS)"
        )
    return Broker(settings.mqtt_url, settings.mqtt_protocol)


def mqtt_topics(settings: Settings) -> Topics:
    """The publisher's topic names from its two prefixes."""
    return Topics(settings.mqtt_topic_prefix, settings.mqtt_discovery_prefix)


def refused(error: BrokerRefused) -> SettingsError:
    """A refused connection as the bad setting it is (one line, exit 2)."""
    return SettingsError(f"{error}. Check DOCKWATCH_MQTT_URL (its user name and password).")


def probe_mqtt(settings: Settings, timeout: float = 5.0) -> str | None:
    """Connect once and leave: why the broker is unreachable now (None when it answered).

    ``dockwatch run`` checks this before starting its children. Raises SettingsError when the
    broker refuses the credentials (retrying would not help).
    """
    broker = mqtt_broker(settings)
    try:
        # The will is never sent: a polite disconnect follows.
        broker.connect(
            Message(mqtt_topics(settings).status, OFFLINE, True), timeout=timeout
        ).close()
    except BrokerRefused as error:
        raise refused(error) from None
    except BrokerUnreachable as error:
        return str(error)
    return None


@dataclass(frozen=True)
class Mqtt:
    """The MQTT publisher process; ``run`` publishes until ``stop`` is set."""

    publisher: MqttPublisher

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop``; raises SettingsError when the broker refuses us."""
        try:
            self.publisher.run(stop)
        except BrokerRefused as error:
            raise refused(error) from None


def dockwatch_version() -> str:
    """The installed dockwatch's version (``0.1.0``), or ``unknown`` when not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dockwatch")
    except PackageNotFoundError:
        return "unknown"


def build_mqtt(settings: Settings, engine: Engine, redis_client: redis.Redis) -> Mqtt:
    """The publisher on these connections, to the broker and topics of the settings."""
    publisher = MqttPublisher(
        engine,
        redis_client,
        settings.stream,
        mqtt_broker(settings),
        mqtt_topics(settings),
        dockwatch_version(),
    )
    return Mqtt(publisher)


@contextmanager
def mqtt_process(settings: Settings) -> Iterator[Mqtt]:
    """The ``dockwatch mqtt`` process, until the block ends. Raises SettingsError when
    ``DOCKWATCH_MQTT_URL`` is unset, ServiceError when Redis or the database is unusable."""
    mqtt_broker(settings)
    with open_services(settings, migrate=False) as (engine, redis_client):
        yield build_mqtt(settings, engine, redis_client)


def budget_reader(settings: Settings) -> BudgetReader:
    """Reads the shared budget from Redis on demand (the mirror must not need Redis)."""

    def read() -> BudgetUsage:
        client = make_redis(settings.redis_url)
        try:
            return request_budget(settings, client).usage()
        finally:
            client.close()

    return read


def lock_reader(settings: Settings) -> LockReader:
    """Reads who holds the sync lock from Redis on demand (``LockFree`` when nobody)."""

    def read() -> LockFree | LockHeld:
        client = make_redis(settings.redis_url)
        try:
            lock = SingleFlight(client, sync_lock_key(settings), settings.sync_lock_ttl_seconds)
            return lock.holder() or LockFree()
        finally:
            client.close()

    return read


def mirror_config(settings: Settings) -> MirrorConfig:
    """The mirror's plain values from settings."""
    from api_mirror.http.config import MirrorConfig

    return MirrorConfig(
        upstream_base=without_credentials(settings.upstream_url),
        trust_proxy=settings.trust_proxy,
        stale_after_seconds=settings.stale_after_seconds,
        check_seconds=settings.mirror_check_seconds,
        cache_bytes=settings.mirror_cache_mb * MIB,
        cors_origins=settings.cors_origin_list,
    )


@dataclass(frozen=True)
class MirrorRedis:
    """The mirror's Redis side, each part optional (a part left out answers without Redis):
    the budget and lock readers of /status, the feed of /events, the fleet's metrics and the
    data-version hints."""

    budget: BudgetReader | None = None
    lock: LockReader | None = None
    event_feed: EventFeed | None = None
    fleet_redis: FleetRedis | None = None
    hints: Hints | None = None


def mirror_redis(settings: Settings) -> MirrorRedis:
    """The mirror's Redis side on the configured Redis (nothing connects before it is used)."""
    from api_mirror.http.fleet_metrics import FleetRedis
    from api_mirror.http.routes.events import EventFeed
    from api_mirror.live.fanout import StreamFanout
    from api_mirror.read.watcher import Hints

    fanout = StreamFanout(settings.redis_url, settings.stream)
    return MirrorRedis(
        budget=budget_reader(settings),
        lock=lock_reader(settings),
        event_feed=EventFeed(fanout, settings.sse_keepalive_seconds),
        fleet_redis=FleetRedis(settings.redis_url, settings.key_prefix, settings.stream),
        hints=Hints(settings.redis_url, data_version_channel(settings.key_prefix)),
    )


def build_mirror_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = utc_now,
    config: MirrorConfig | None = None,
    redis_side: MirrorRedis | None = None,
) -> FastAPI:
    """The mirror's app over ``engine``; ``config`` and ``redis_side`` replace what settings
    give (``mirror_config``, ``mirror_redis``), as tests do."""
    from api_mirror.http.app import create_app

    side = mirror_redis(settings) if redis_side is None else redis_side
    return create_app(
        engine,
        mirror_config(settings) if config is None else config,
        clock=clock,
        budget=side.budget,
        lock=side.lock,
        event_feed=side.event_feed,
        fleet_redis=side.fleet_redis,
        hints=side.hints,
    )


@dataclass(frozen=True)
class Mirror:
    """The mirror process: its app and the uvicorn configuration that serves it."""

    app: FastAPI
    server: uvicorn.Config

    def serve(self, listener: socket.socket) -> None:
        """Serve on ``listener`` (bound and listening) in the foreground until SIGINT/SIGTERM."""
        from api_mirror.http.server import serve

        serve(self.server, listener)


@contextmanager
def mirror_process(settings: Settings, *, log_level: str | None = None) -> Iterator[Mirror]:
    """The ``dockwatch serve`` process over the migrated database, until the block ends.

    Redis is optional here: it feeds /status's budget and lock, /events and the fleet's metrics,
    and brings the sync's data-version hints (without it the mirror checks every
    ``DOCKWATCH_MIRROR_CHECK_SECONDS``); the rest serves without it. Raises ServiceError.
    """
    from api_mirror.http.server import server_config

    # The mirror's Redis readers (hints, /events) report an outage once, as the other children.
    quiet_redis_outages(logging.getLogger().handlers, settings.redis_url)
    with open_database(settings.database_url, migrate=True) as engine:
        app = build_mirror_app(settings, engine)
        yield Mirror(app, server_config(app, log_level=log_level))
