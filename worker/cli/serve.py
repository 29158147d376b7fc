"""``dockwatch serve``: the mirror HTTP server over the configured database.

The bootstrap builds the mirror (``worker.bootstrap.mirror_process``); this command binds the
address first, so a busy port is one line and exit code 1 like every other failure.
"""

from __future__ import annotations

import click

from settings import Settings, load_settings
from worker.bootstrap import mirror_process
from worker.cli.errors import one_line_errors
from worker.cli.listener import PORT, bind_listener
from worker.cli.verbosity import verbosity_options


def serve_mirror(settings: Settings, host: str, port: int) -> None:
    """Bind, migrate, then serve the mirror in the foreground."""
    with bind_listener(host, port) as listener, mirror_process(settings) as mirror:
        mirror.serve(listener)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Port to listen on.")
@verbosity_options(service=True)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the mirror over HTTP."""
    serve_mirror(load_settings(), host, port)
