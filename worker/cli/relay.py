"""``dockwatch relay``: the relay loop alone (``run`` starts it; compose runs it as a service).

It publishes outbox rows to the Redis Stream whenever a commit wakes it and every
``worker.notify.relay.DEFAULT_INTERVAL_SECONDS`` as a safety net, until SIGTERM or SIGINT. A Redis
outage is one line when it starts and one when it ends (``worker.redis_outage``), not a line per
retry.
"""

from __future__ import annotations

import click

from settings import load_settings
from worker.bootstrap import relay_process
from worker.cli.errors import one_line_errors
from worker.cli.signals import stop_on_signals
from worker.cli.verbosity import verbosity_options


@click.command()
@verbosity_options(service=True)
@one_line_errors
def relay() -> None:
    """Relay committed notifications to the Redis Stream until stopped."""
    with relay_process(load_settings()) as loop:
        loop.run_forever(stop_on_signals())
