"""``dockwatch serve``: the mirror HTTP server over the configured database.

The only place the worker imports the mirror: the command line starts its server.
"""

from __future__ import annotations

import click

from settings import Settings, load_settings
from worker.bootstrap import connect_database
from worker.cli.errors import one_line_errors
from worker.cli.status import budget_reader


def serve_mirror(settings: Settings, host: str, port: int) -> None:
    """Migrate, then serve the mirror in the foreground (Redis feeds /status's budget and
    /events; the rest serves without it)."""
    from api_mirror.server import serve

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
            redis_url=settings.redis_url,
            stream=settings.stream,
            key_prefix=settings.key_prefix,
            keepalive_seconds=settings.sse_keepalive_seconds,
        )
    finally:
        engine.dispose()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the mirror over HTTP."""
    serve_mirror(load_settings(), host, port)
