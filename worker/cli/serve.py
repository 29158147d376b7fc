"""``dockwatch serve``: the mirror HTTP server over the configured database.

The only place the worker imports the mirror: the command line starts its server.
"""

from __future__ import annotations

import click

from models.data_version import data_version_channel
from settings import Settings, load_settings
from worker.bootstrap import connect_database
from worker.cli.errors import one_line_errors
from worker.cli.status import budget_reader


def serve_mirror(settings: Settings, host: str, port: int) -> None:
    """Migrate, then serve the mirror in the foreground.

    Redis is optional here: it feeds /status's budget and brings the sync's data-version hints
    (without it the mirror checks every ``DOCKWATCH_MIRROR_CHECK_SECONDS``).
    """
    from api_mirror.server import Hints, serve

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
            check_seconds=settings.mirror_check_seconds,
            hints=Hints(settings.redis_url, data_version_channel(settings.key_prefix)),
            cache_bytes=settings.mirror_cache_mb * 1024 * 1024,
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
