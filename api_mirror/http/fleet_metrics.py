"""The fleet's metrics, read from the shared state at scrape time: what operators alert on.

Nothing here is counted in the mirror process: the database (sync state, events, outbox,
webhook endpoints) and Redis (the request budget, the fleet-wide counters of
``models.fleet.counters``, the notification stream and its consumer groups) are read on every
scrape, so any mirror process reports the same fleet-wide view. Names follow Prometheus's
conventions: the ``dockwatch_`` prefix, base units (``_seconds``), ``_total`` on counters.

Each source fails alone: ``dockwatch_database_up`` and ``dockwatch_redis_up`` say whether this
scrape could read it (Redis is 0 too when the mirror was started without a Redis URL), and the
metrics of a source that failed are left out rather than reported as zeros.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.fleet.counters import FAMILIES, SharedCounters
from models.fleet.readings import BudgetUsage
from models.fleet.redis_client import make_redis
from models.fleet.stream import DOCKED, UNDOCKED
from models.fleet.stream_health import read_stream_health
from models.store.outbox import last_detection, outbox_pending
from models.store.status import BudgetReader, read_status
from models.store.sync_state import SweepCheckpoint, read_record
from models.store.webhook_endpoints import endpoint_counts
from models.support.clock import Clock

log = logging.getLogger(__name__)

# A scrape must not hang on a stalled Redis for the client's usual timeout.
SCRAPE_REDIS_TIMEOUT_SECONDS = 2.0
# Detection latency is reported for these notification types, labelled by the change.
DETECTED = {"docked": DOCKED, "undocked": UNDOCKED}
# The help text of each fleet-wide counter family (``models.fleet.counters``).
COUNTER_HELP = {
    "sync_cycles": "Sync cycles finished, by outcome (complete, or why it stopped early).",
    "upstream_requests": "Upstream requests sent, by the class of the status answered.",
    "webhook_deliveries": "Webhook delivery attempts by how each ended; entries filters skipped.",
}


@dataclass(frozen=True)
class FleetRedis:
    """Where the mirror finds the fleet's Redis state: the URL, ``DOCKWATCH_KEY_PREFIX`` and
    the notification stream (``DOCKWATCH_STREAM``)."""

    url: str
    key_prefix: str
    stream: str


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"dockwatch_{name}", documentation, value=value)


def _age(now: dt.datetime, instant: dt.datetime | None) -> float:
    """Seconds since ``instant``; +Inf when it never happened (so a staleness alert fires)."""
    return math.inf if instant is None else (now - instant).total_seconds()


class FleetCollector(Collector):
    """Reads the shared state on each ``collect`` (one database session, one Redis client)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        stale_after_seconds: float,
        budget: BudgetReader | None,
        fleet_redis: FleetRedis | None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.stale_after_seconds = stale_after_seconds
        self.budget = budget
        self.fleet_redis = fleet_redis
        self._client: redis.Redis | None = None
        self._client_lock = threading.Lock()  # scrapes run in a thread pool

    def collect(self) -> Iterator[Metric]:
        """Every fleet metric readable now, and whether each source answered."""
        now = self.clock()
        try:
            database = list(self._database(now))
        except SQLAlchemyError as error:
            log.warning("metrics: cannot read the database: %s", str(error).splitlines()[0])
            database = []
        yield _gauge("database_up", "Whether this scrape could read the database.", bool(database))
        yield from database
        try:
            shared = list(self._redis(now)) if self.fleet_redis is not None else []
        except (redis.RedisError, OSError) as error:
            log.warning("metrics: cannot read Redis: %s", error)
            shared = []
        yield _gauge(
            "redis_up", "Whether this scrape could read Redis (0: no Redis URL).", bool(shared)
        )
        yield from shared

    def close(self) -> None:
        """Release the Redis connections."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # --- the database ---------------------------------------------------------------------

    def _database(self, now: dt.datetime) -> Iterator[Metric]:
        with Session(self.engine) as session:
            report = read_status(session, now=now, stale_after_seconds=self.stale_after_seconds)
            sweep = read_record(session, SweepCheckpoint)
            pending = outbox_pending(session)
            detections = {
                change: last_detection(session, kind) for change, kind in DETECTED.items()
            }
            endpoints = endpoint_counts(session)
        freshness = report.freshness_seconds
        yield _gauge(
            "sync_last_success_age_seconds",
            "Seconds since a sync cycle last brought the data up to date (a poll or the first "
            "fill); +Inf before the first.",
            math.inf if freshness is None else freshness,
        )
        yield _gauge(
            "sweep_last_complete_age_seconds",
            "Seconds since the reconciliation sweep last finished a pass; +Inf before the first.",
            _age(now, sweep.last_complete),
        )
        yield _gauge(
            "stale",
            "1 when the data is staler than DOCKWATCH_STALE_AFTER_SECONDS (as /status says).",
            float(report.stale),
        )
        yield _gauge("events_stored", "Docking events stored locally.", report.events)
        yield _gauge(
            "events_docked",
            "Stored docking events still docked (no departure).",
            report.open_events,
        )
        yield _gauge(
            "outbox_backlog", "Committed notifications not yet published.", pending.backlog
        )
        yield _gauge(
            "outbox_oldest_age_seconds",
            "Age of the oldest unpublished notification; 0 when none is waiting.",
            0.0 if pending.oldest_created_at is None else _age(now, pending.oldest_created_at),
        )
        latency = GaugeMetricFamily(
            "dockwatch_detection_latency_seconds",
            "Seconds from the upstream instant (docking or departure) of the last detected "
            "change to its commit, by change.",
            labels=["change"],
        )
        for change, detection in detections.items():
            if detection is not None:
                latency.add_metric([change], detection.latency_seconds)
        yield latency
        yield _gauge("webhook_endpoints", "Webhook endpoints registered.", endpoints.registered)
        yield _gauge(
            "webhook_endpoints_disabled",
            "Webhook endpoints disabled (they answered 410 Gone).",
            endpoints.disabled,
        )
        yield _gauge(
            "webhook_endpoints_failing",
            "Enabled webhook endpoints whose last attempt failed (being retried).",
            endpoints.failing,
        )

    # --- Redis ----------------------------------------------------------------------------

    def _redis_client(self, fleet: FleetRedis) -> redis.Redis:
        with self._client_lock:
            if self._client is None:
                self._client = make_redis(fleet.url, socket_timeout=SCRAPE_REDIS_TIMEOUT_SECONDS)
            return self._client

    def _redis(self, now: dt.datetime) -> Iterator[Metric]:
        assert self.fleet_redis is not None
        fleet = self.fleet_redis
        client = self._redis_client(fleet)
        if self.budget is not None:
            yield from _budget_metrics(self.budget(), now.timestamp())
        counters = SharedCounters(client, fleet.key_prefix)
        for family in FAMILIES:
            counter = CounterMetricFamily(
                f"dockwatch_{family.name}", COUNTER_HELP[family.name], labels=[family.label]
            )
            for value, count in sorted(counters.read(family).items()):
                counter.add_metric([value], count)
            yield counter
        health = read_stream_health(client, fleet.stream)
        yield _gauge("stream_length", "Entries in the notification stream.", health.length)
        pending = GaugeMetricFamily(
            "dockwatch_stream_group_pending",
            "Entries delivered to a consumer group and not yet acknowledged, by group.",
            labels=["group"],
        )
        lag = GaugeMetricFamily(
            "dockwatch_stream_group_lag",
            "Entries of the stream not yet delivered to a consumer group, by group.",
            labels=["group"],
        )
        for group in health.groups:
            pending.add_metric([group.name], group.pending)
            lag.add_metric([group.name], group.lag)
        yield pending
        yield lag


def _budget_metrics(usage: BudgetUsage, now: float) -> Iterator[Metric]:
    """The request budget's gauges from a budget reading (its instants epochs or None)."""
    next_slot_at = usage.next_slot_at
    not_before = usage.not_before
    yield _gauge(
        "upstream_budget_used",
        "Upstream requests sent in the current sliding hour, fleet-wide.",
        usage.used,
    )
    yield _gauge(
        "upstream_budget_limit",
        "Upstream requests allowed in any sliding hour (DOCKWATCH_RATE_LIMIT_PER_HOUR).",
        usage.limit,
    )
    yield _gauge(
        "upstream_budget_next_slot_seconds",
        "Seconds until the budget allows the next upstream request; 0 when it allows one now.",
        0.0 if next_slot_at is None else max(0.0, float(next_slot_at) - now),
    )
    yield _gauge(
        "upstream_retry_after_timestamp_seconds",
        "Unix time before which upstream asked not to be called (a 429/503 Retry-After, "
        "honoured fleet-wide); 0 when no such deadline is ahead.",
        0.0 if not_before is None else float(not_before),
    )
