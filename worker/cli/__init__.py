"""The ``dockwatch`` command line: one module per command, gathered under one click group.

Every command reads settings at its edge. Expected failures (a bad setting, Redis or the
database unreachable) print one line on stderr and exit non-zero, never a traceback
(``worker.cli.errors``).
"""

from __future__ import annotations

import click

from worker.cli import budget, db, demo, mqtt, relay, run, serve, status, subscribe, sync, webhooks
from worker.cli.verbosity import FLAG_KEY, SERVICES, configure, flag_of, warn_unknown_variables


@click.group()
@click.version_option(
    package_name="dockwatch", prog_name="dockwatch", message="%(prog)s %(version)s"
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """dockwatch: a local, always-fresh mirror of LL2 docking events.

    Logs go to stderr at DOCKWATCH_LOG_LEVEL (INFO for run, serve, relay and the other
    long-running commands; one-shot commands log warnings only unless it is set).
    """
    ctx.meta[FLAG_KEY] = flag_of(verbose, quiet)
    configure(ctx.meta[FLAG_KEY], service=ctx.invoked_subcommand in SERVICES)
    warn_unknown_variables()


# The modules stay this package's attributes (``worker.cli.status`` is the module).
for command in (run.run, sync.sync, serve.serve, status.status, relay.relay, mqtt.mqtt, db.db):
    main.add_command(command)
main.add_command(webhooks.webhooks)
main.add_command(budget.budget)
main.add_command(subscribe.subscribe_command, "subscribe")
main.add_command(demo.demo_command, "demo")
