"""Run the mirror app with uvicorn (used by ``dockwatch serve`` and ``dockwatch run``)."""

from __future__ import annotations

import uvicorn
from sqlalchemy.engine import Engine

from api_mirror.app import DEFAULT_UPSTREAM, create_app
from api_mirror.templates import DEFAULT_MAX_BYTES
from api_mirror.watcher import DEFAULT_CHECK_SECONDS, Hints
from models.status import BudgetReader

__all__ = ["Hints", "serve"]


def serve(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    trust_proxy: bool = False,
    upstream_base: str = DEFAULT_UPSTREAM,
    budget: BudgetReader | None = None,
    stale_after_seconds: float = 3600.0,
    check_seconds: float = DEFAULT_CHECK_SECONDS,
    hints: Hints | None = None,
    cache_bytes: int = DEFAULT_MAX_BYTES,
    log_level: str = "info",
) -> None:
    """Serve the mirror in the foreground, in this one process, until interrupted."""
    app = create_app(
        engine,
        trust_proxy=trust_proxy,
        upstream_base=upstream_base,
        budget=budget,
        stale_after_seconds=stale_after_seconds,
        check_seconds=check_seconds,
        hints=hints,
        cache_bytes=cache_bytes,
    )
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
