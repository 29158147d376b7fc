"""Run the mirror app with uvicorn (used by ``dockwatch serve`` and ``dockwatch run``).

The caller binds the listening socket (so a busy port is its one-line error, never uvicorn's
log line and exit code); uvicorn serves on it until SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Sequence

import uvicorn
from sqlalchemy.engine import Engine

from api_mirror.http.app import DEFAULT_UPSTREAM, create_app
from api_mirror.http.cors import ANY_ORIGIN
from api_mirror.http.fleet_metrics import FleetRedis
from api_mirror.http.routes.events import DEFAULT_KEEPALIVE_SECONDS, EventFeed
from api_mirror.live.fanout import StreamFanout
from api_mirror.read.templates import DEFAULT_MAX_BYTES
from api_mirror.read.watcher import DEFAULT_CHECK_SECONDS, Hints
from models.store.status import StateReader

__all__ = ["Hints", "serve"]


def serve(
    engine: Engine,
    listener: socket.socket,
    *,
    trust_proxy: bool = False,
    upstream_base: str = DEFAULT_UPSTREAM,
    budget: StateReader | None = None,
    lock: StateReader | None = None,
    stale_after_seconds: float = 3600.0,
    redis_url: str | None = None,
    stream: str = "dockwatch:events",
    key_prefix: str = "dockwatch",
    keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
    check_seconds: float = DEFAULT_CHECK_SECONDS,
    hints: Hints | None = None,
    cache_bytes: int = DEFAULT_MAX_BYTES,
    log_level: str = "info",
    cors_origins: Sequence[str] = (ANY_ORIGIN,),
) -> None:
    """Serve the mirror on ``listener`` (a bound, listening TCP socket) in the foreground;
    ``/events`` reads ``stream`` on the Redis at ``redis_url`` (None: it answers 503), and
    ``/metrics`` reads the fleet's counters under ``key_prefix`` there too; ``cors_origins`` are
    the origins browser apps may read it from (``("*",)``: any)."""
    feed = fleet_redis = None
    if redis_url is not None:
        feed = EventFeed(StreamFanout(redis_url, stream), keepalive_seconds)
        fleet_redis = FleetRedis(redis_url, key_prefix, stream)
    app = create_app(
        engine,
        trust_proxy=trust_proxy,
        upstream_base=upstream_base,
        budget=budget,
        lock=lock,
        stale_after_seconds=stale_after_seconds,
        event_feed=feed,
        fleet_redis=fleet_redis,
        check_seconds=check_seconds,
        hints=hints,
        cache_bytes=cache_bytes,
        cors_origins=cors_origins,
    )
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    config = uvicorn.Config(app, log_level=log_level, proxy_headers=False)
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # uvicorn announces itself only when it binds; the socket already listens, so say it here.
    logging.getLogger("uvicorn.error").info("mirror serving on http://%s:%d", shown, port)
    # As uvicorn.run: the server stops on Ctrl-C, then re-raises it; that is the normal end.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])
