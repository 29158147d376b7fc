"""A sync engine wired to a fake upstream, a real Redis budget and a controllable clock.

Shared by the sync tests, the notification tests and the benchmarks: the fake upstream and the
engine read the same clock, so durations, budget windows and "not before" deadlines all move
only when a test calls ``advance``. The budget, the upstream client and the counters are built
by the bootstrap (``build_runtime``) from settings naming the fake, as the worker's are;
requests and cycles are counted in the fleet-wide counters under the rig's key prefix. Cycles
commit through a unit of work of the rig's own (a test's recorder and after-commit hook, or
none), and nothing the rig does sleeps: the retries' pauses are collected in ``sleeps``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fake_upstream import FakeUpstream
from harness.redis_keys import TEST_REDIS_URL
from models.ll2.graph import load_graphs
from models.ll2.render import LinkStyle, serialize_event
from models.store.tables import DockingEvent
from settings import Settings
from worker.bootstrap import build_runtime
from worker.sync.summary import CycleSummary, Mode
from worker.sync.unit_of_work import Recorder, UnitOfWork

# The links the rig's local events name: the default upstream (its one home is Settings).
UPSTREAM_BASE: str = Settings.model_fields["upstream_url"].default


class SyncHarness:
    """One engine + client + budget on a fake upstream; the clock moves only on ``advance``."""

    def __init__(
        self,
        engine: Engine,
        fake: FakeUpstream,
        key_prefix: str,
        *,
        limit_per_hour: int = 1000,
        record: Recorder | None = None,
        notify_backfill: bool = False,
        timeout: float = 5.0,
        max_attempts: int = 3,
        max_wait: float = 5.0,
        redis_url: str = TEST_REDIS_URL,
        after_commit: Callable[[], object] | None = None,
    ) -> None:
        self.engine = engine
        self.fake = fake
        self.now: dt.datetime = fake.now
        fake.clock = lambda: self.now
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        # model_copy skips validation: a rig may run a budget a user could not set (1 an hour).
        self.settings = Settings(_env_file=None).model_copy(
            update={
                "upstream_url": fake.base_url,
                "api_token": None,
                "redis_url": redis_url,
                "key_prefix": key_prefix,
                "stream": f"{key_prefix}:events",
                "rate_limit_per_hour": limit_per_hour,
                "notify_backfill": notify_backfill,
                "http_timeout_seconds": timeout,
                "http_max_attempts": max_attempts,
                "http_max_wait_seconds": max_wait,
            }
        )
        self.sleeps: list[float] = []
        self.runtime = build_runtime(
            self.settings,
            engine=engine,
            redis_client=self.redis,
            clock=lambda: self.now,
            sleep=self.sleeps.append,
        )
        self.budget = self.runtime.budget
        self.counters = self.runtime.counters
        self.client = self.runtime.client
        self.sync = self.runtime.cycle_through(
            UnitOfWork(engine, clock=lambda: self.now, record=record, after_commit=after_commit)
        )

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the shared clock forward."""
        self.now = self.now + delta
        return self.now

    def cycle(self, mode: Mode = Mode.POLL) -> CycleSummary:
        """Run one cycle."""
        return self.sync.run(mode)

    def fill(self) -> CycleSummary:
        """Run cycles until the first fill is done (the budget is assumed large enough)."""
        summary = self.cycle()
        assert summary.complete, summary
        return summary

    def local_events(self) -> dict[int, dict[str, Any]]:
        """Every stored event as detailed JSON with upstream urls, durations as of now."""
        with Session(self.engine) as session:
            ids = list(session.exec(select(DockingEvent.id).order_by(DockingEvent.id)).all())
            graphs = load_graphs(session, ids)
        links = LinkStyle(base=UPSTREAM_BASE)
        return {
            graph.event.id: serialize_event(graph, mode="detailed", links=links, now=self.now)
            for graph in graphs
        }

    def upstream_events(self) -> dict[int, dict[str, Any]]:
        """Every upstream event as the fake serves it now (detailed)."""
        served = {}
        offset = 0
        while True:
            response = self.fake.respond(
                "GET", f"/2.2.0/docking_event/?mode=detailed&limit=100&offset={offset}"
            )
            page = json.loads(response.body)
            for event in page["results"]:
                served[event["id"]] = event
            if not page["next"]:
                return served
            offset += 100

    def close(self) -> None:
        """Release sockets (the engine stays the caller's)."""
        self.runtime.client.close()
        self.redis.close()


def without_event_urls(events: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The events with their own ``url`` removed (it names the serving host)."""
    return {
        ident: {k: v for k, v in event.items() if k != "url"} for ident, event in events.items()
    }
