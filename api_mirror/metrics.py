"""Prometheus metrics of the mirror: requests by route and status, latency, stored events.

Each app gets its own registry, so several apps (tests, benchmarks) never collide. Requests are
labelled by route template, never by raw path, to keep the label set small.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.tables import DockingEvent


class _EventCount(Collector):
    """The number of stored docking events, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as session:
            count = session.exec(select(func.count()).select_from(DockingEvent)).one()
        gauge = GaugeMetricFamily("dockwatch_mirror_events", "Docking events stored locally.")
        gauge.add_metric([], float(count))
        yield gauge


class MirrorMetrics:
    """The registry and the instruments of one app."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dockwatch_mirror_requests",
            "HTTP requests answered, by route template and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dockwatch_mirror_request_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            registry=self.registry,
        )
        self.registry.register(_EventCount(engine))


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no buffering of the body)."""

    def __init__(self, app: ASGIApp, metrics: MirrorMetrics) -> None:
        self.app = app
        self.metrics = metrics

    def _route_template(self, scope: Scope) -> str:
        # The router records the route it matched on the scope; matched again only without it.
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        router = scope.get("router")
        for route in getattr(router, "routes", ()):
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = self._route_template(scope)
            self.metrics.requests.labels(route=route, status=str(status)).inc()
            self.metrics.latency.labels(route=route).observe(time.perf_counter() - started)
