"""``dockwatch serve``: the mirror HTTP server over the configured database."""

from __future__ import annotations

from api_mirror.server import serve
from settings import Settings
from worker.runtime import connect_database
from worker.status_report import budget_reader


def serve_mirror(settings: Settings, host: str, port: int) -> None:
    """Migrate, then serve the mirror in the foreground (Redis only feeds /status's budget)."""
    engine = connect_database(settings.database_url, migrate=True)
    try:
        serve(
            engine,
            host,
            port,
            trust_proxy=settings.trust_proxy,
            upstream_base=settings.upstream_url,
            budget=budget_reader(settings),
            stale_after_seconds=settings.stale_after_seconds,
        )
    finally:
        engine.dispose()
