"""Run the mirror app with uvicorn (used by ``dockwatch serve`` and ``dockwatch run``)."""

from __future__ import annotations

import uvicorn
from sqlalchemy.engine import Engine

from api_mirror.app import DEFAULT_UPSTREAM, create_app
from models.status import StateReader


def serve(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    trust_proxy: bool = False,
    upstream_base: str = DEFAULT_UPSTREAM,
    budget: StateReader | None = None,
    lock: StateReader | None = None,
    stale_after_seconds: float = 3600.0,
    log_level: str = "info",
) -> None:
    """Serve the mirror in the foreground until interrupted."""
    app = create_app(
        engine,
        trust_proxy=trust_proxy,
        upstream_base=upstream_base,
        budget=budget,
        lock=lock,
        stale_after_seconds=stale_after_seconds,
    )
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
