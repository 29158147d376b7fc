"""Prometheus metrics of the mirror: its own requests by route and status and their latency,
plus the fleet's metrics read from the shared state at scrape time (``fleet_metrics``).

Each app gets its own registry, so several apps (tests, benchmarks) never collide. Requests are
labelled by route template, never by raw path, to keep the label set small.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class MirrorMetrics:
    """The registry and the instruments of one app; ``fleet`` reads the shared state."""

    def __init__(self, fleet: Collector) -> None:
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
        self.registry.register(fleet)


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
