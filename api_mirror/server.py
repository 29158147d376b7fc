"""Run the mirror app with uvicorn (used by ``dockwatch serve`` and ``dockwatch run``)."""

from __future__ import annotations

import uvicorn
from sqlalchemy.engine import Engine

from api_mirror.app import DEFAULT_UPSTREAM, create_app
from api_mirror.fanout import StreamFanout
from api_mirror.fleet_metrics import FleetRedis
from api_mirror.routes.events import DEFAULT_KEEPALIVE_SECONDS, EventFeed
from models.status import BudgetReader


def serve(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    trust_proxy: bool = False,
    upstream_base: str = DEFAULT_UPSTREAM,
    budget: BudgetReader | None = None,
    stale_after_seconds: float = 3600.0,
    redis_url: str | None = None,
    stream: str = "dockwatch:events",
    key_prefix: str = "dockwatch",
    keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
    log_level: str = "info",
) -> None:
    """Serve the mirror in the foreground until interrupted; ``/events`` reads ``stream`` on
    the Redis at ``redis_url`` (None: it answers 503), and ``/metrics`` reads the fleet's
    counters under ``key_prefix`` there too."""
    feed = fleet_redis = None
    if redis_url is not None:
        feed = EventFeed(StreamFanout(redis_url, stream), keepalive_seconds)
        fleet_redis = FleetRedis(redis_url, key_prefix, stream)
    app = create_app(
        engine,
        trust_proxy=trust_proxy,
        upstream_base=upstream_base,
        budget=budget,
        stale_after_seconds=stale_after_seconds,
        event_feed=feed,
        fleet_redis=fleet_redis,
    )
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
