"""The ``dockwatch`` command line: one module per command, gathered under one click group.

Every command reads settings at its edge. Expected failures (a bad setting, Redis or the
database unreachable) print one line on stderr and exit non-zero, never a traceback
(``worker.cli.errors``).
"""

from __future__ import annotations

import logging
import sys

import click

from worker.cli import db, demo, relay, run, serve, status, subscribe, sync, webhooks


def configure_logging(verbose: bool) -> None:
    """Plain log lines on stderr; httpx's per-request lines only when verbose."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("httpx", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@click.group()
@click.version_option(
    package_name="dockwatch", prog_name="dockwatch", message="%(prog)s %(version)s"
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """dockwatch: a local, always-fresh mirror of LL2 docking events."""
    configure_logging(verbose)


# The modules stay this package's attributes (``worker.cli.status`` is the module).
for command in (run.run, sync.sync, serve.serve, status.status, relay.relay, db.db):
    main.add_command(command)
main.add_command(webhooks.webhooks)
main.add_command(subscribe.subscribe_command, "subscribe")
main.add_command(demo.demo_command, "demo")
