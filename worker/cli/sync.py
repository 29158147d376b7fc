"""``dockwatch sync [--full]``: one sync cycle now, in this process, with a JSON summary line.

The outbox is relayed after every commit and once more at the end, so cron-style use without a
worker still notifies; Redis being down only delays the notifications (they stay queued).
"""

from __future__ import annotations

import json

import click

from settings import load_settings
from worker.bootstrap import Runtime, build_runtime
from worker.cli.errors import fail, one_line_errors
from worker.notify.relay import RelayUnavailable
from worker.sync.summary import Mode

UPSTREAM_HINT = " (check DOCKWATCH_UPSTREAM_URL and the network; the data so far is kept)"


@click.command()
@click.option("--full", is_flag=True, help="Also walk the whole upstream list (reconciliation).")
@one_line_errors
def sync(full: bool) -> None:
    """Run one sync cycle now, in this process, and print a JSON summary."""
    runtime = build_runtime(load_settings())
    try:
        summary = runtime.run_cycle(Mode.FULL if full else Mode.POLL)
        if summary is None:
            click.echo("dockwatch: a sync cycle is already running; nothing to do", err=True)
            return
        _relay_remaining(runtime)
        click.echo(json.dumps(summary.as_json()))
        if summary.error is not None:
            hint = UPSTREAM_HINT if summary.reason == "upstream" else ""
            fail(f"sync failed: {summary.error}{hint}")
    finally:
        runtime.close()


def _relay_remaining(runtime: Runtime) -> None:
    """A last relay pass; Redis being down only delays notifications (they stay queued)."""
    try:
        runtime.relay_now()
    except (RelayUnavailable, OSError) as error:
        click.echo(f"dockwatch: notifications stay queued: {error}", err=True)
