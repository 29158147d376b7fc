"""``dockwatch serve``: the mirror HTTP server over the configured database.

The only place the worker imports the mirror: the command line starts its server. The address
is bound first, so a busy port is one line and exit code 1 like every other failure.
"""

from __future__ import annotations

import logging

import click

from models.store.data_version import data_version_channel
from models.support.redact import without_credentials
from settings import Settings, load_settings
from worker.bootstrap import open_database
from worker.cli.errors import one_line_errors
from worker.cli.listener import PORT, bind_listener
from worker.cli.status import budget_reader, lock_reader
from worker.redis_outage import quiet_redis_outages


def serve_mirror(settings: Settings, host: str, port: int) -> None:
    """Bind, migrate, then serve the mirror in the foreground.

    Redis is optional here: it feeds /status's budget and lock, /events and the fleet's metrics,
    and brings the sync's data-version hints (without it the mirror checks every
    ``DOCKWATCH_MIRROR_CHECK_SECONDS``); the rest serves without it.
    """
    from api_mirror.http.server import Hints, serve

    # The mirror's Redis readers (hints, /events) report an outage once, as the other children.
    quiet_redis_outages(logging.getLogger().handlers, settings.redis_url)
    with (
        bind_listener(host, port) as listener,
        open_database(settings.database_url, migrate=True) as engine,
    ):
        serve(
            engine,
            listener,
            trust_proxy=settings.trust_proxy,
            upstream_base=without_credentials(settings.upstream_url),
            budget=budget_reader(settings),
            lock=lock_reader(settings),
            stale_after_seconds=settings.stale_after_seconds,
            redis_url=settings.redis_url,
            stream=settings.stream,
            key_prefix=settings.key_prefix,
            keepalive_seconds=settings.sse_keepalive_seconds,
            check_seconds=settings.mirror_check_seconds,
            hints=Hints(settings.redis_url, data_version_channel(settings.key_prefix)),
            cache_bytes=settings.mirror_cache_mb * 1024 * 1024,
            cors_origins=settings.cors_origin_list,
        )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Port to listen on.")
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the mirror over HTTP."""
    serve_mirror(load_settings(), host, port)
