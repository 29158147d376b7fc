"""``dockwatch run``: the main job (see ``worker.cli.supervisor``)."""

from __future__ import annotations

import click

from settings import load_settings
from worker.cli.errors import one_line_errors
from worker.cli.listener import PORT
from worker.cli.supervisor import run_everything
from worker.cli.verbosity import verbosity_options


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Mirror address.")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Mirror port.")
@verbosity_options(service=True)
@one_line_errors
def run(host: str, port: int) -> None:
    """The main job: migrations, worker, beat, relay, webhooks, mirror, MQTT, in the foreground."""
    run_everything(load_settings(), host, port)
