"""``dockwatch relay``: the relay loop alone (``run`` starts it; compose runs it as a service).

It publishes outbox rows to the Redis Stream whenever a commit wakes it and every
``worker.notify.relay.DEFAULT_INTERVAL_SECONDS`` as a safety net, until SIGTERM or SIGINT. A Redis
outage is one line when it starts and one when it ends (``worker.redis_outage``), not a line per
retry.
"""

from __future__ import annotations

import logging

import click

from settings import load_settings
from worker.bootstrap import connect_redis, open_database
from worker.cli.errors import one_line_errors
from worker.cli.signals import stop_on_signals
from worker.notify.relay import Relay
from worker.redis_outage import quiet_redis_outages


@click.command()
@one_line_errors
def relay() -> None:
    """Relay committed notifications to the Redis Stream until stopped."""
    settings = load_settings()
    with (
        open_database(settings.database_url, migrate=False) as engine,
        connect_redis(settings.redis_url) as redis_client,
    ):
        quiet_redis_outages(logging.getLogger().handlers, settings.redis_url)
        loop = Relay(engine, redis_client, settings.stream, settings.stream_retention_days)
        loop.run_forever(stop_on_signals())
