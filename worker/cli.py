"""The ``dockwatch`` command line: run, sync, serve, subscribe, status, db upgrade.

Every command reads settings here, at the edge. Expected failures (a bad setting, Redis or the
database unreachable) print one line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from settings import Settings, SettingsError, load_settings
from worker.runtime import ServiceError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILURE = 1
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_FAILURE) -> None:
    """Print one line on stderr and exit."""
    click.echo(f"dockwatch: {message}", err=True)
    sys.exit(code)


def one_line_errors(command: F) -> F:
    """Turn configuration and service errors into a single stderr line and an exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SettingsError as error:
            fail(str(error), EXIT_CONFIG)
        except ServiceError as error:
            fail(str(error))
        return None

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """The settings, or a one-line error."""
    return load_settings()


def configure_logging(verbose: bool) -> None:
    """Plain log lines on stderr; httpx's per-request lines only when verbose."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """dockwatch: a local, always-fresh mirror of LL2 docking events."""
    configure_logging(verbose)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Apply the database migrations."""
    from worker.runtime import connect_database

    engine = connect_database(settings().database_url, migrate=True)
    engine.dispose()
    click.echo("database is up to date")


@main.command()
@click.option("--full", is_flag=True, help="Also walk the whole upstream list (reconciliation).")
@one_line_errors
def sync(full: bool) -> None:
    """Run one sync cycle now, in this process, and print a JSON summary."""
    from worker.runtime import build_runtime, run_locked_cycle
    from worker.sync import Mode

    runtime = build_runtime(settings())
    try:
        relay = _relay_hook(runtime)
        summary = run_locked_cycle(runtime, Mode.FULL if full else Mode.POLL, after_commit=relay)
        if summary is None:
            click.echo("dockwatch: a sync cycle is already running; nothing to do", err=True)
            return
        if relay is not None:
            relay()
        click.echo(json.dumps(summary.as_json()))
        if summary.error is not None:
            fail(f"sync failed: {summary.error}")
    finally:
        runtime.close()


def _relay_hook(runtime: Any) -> Callable[[], None] | None:
    """Publish the outbox right after a commit (None until notifications exist)."""
    try:
        from worker.relay import relay_pending
    except ImportError:
        return None
    conf = runtime.settings

    def relay() -> None:
        relay_pending(
            runtime.engine,
            runtime.redis,
            stream=conf.stream,
            retention_days=conf.stream_retention_days,
        )

    return relay


@main.command()
@one_line_errors
def status() -> None:
    """Freshness, last sync results, request budget and outbox backlog."""
    from worker.status_report import status_command

    status_command(settings())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the mirror over HTTP."""
    from worker.serve_command import serve_mirror

    serve_mirror(settings(), host, port)


@main.command()
@one_line_errors
def run() -> None:
    """The main job: migrations, worker, beat, relay and mirror, in the foreground."""
    from worker.supervisor import run_everything

    run_everything(settings())


def _register_optional_commands() -> None:
    try:
        from worker.cli_subscribe import subscribe_command
    except ImportError:
        return
    main.add_command(subscribe_command, "subscribe")


_register_optional_commands()


if __name__ == "__main__":
    main()
