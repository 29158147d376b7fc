"""``dockwatch db upgrade``: apply the database migrations."""

from __future__ import annotations

import click

from settings import load_settings
from worker.bootstrap import connect_database
from worker.cli.errors import one_line_errors


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@one_line_errors
def upgrade() -> None:
    """Apply the database migrations."""
    engine = connect_database(load_settings().database_url, migrate=True)
    engine.dispose()
    click.echo("database is up to date")
