"""The ``dockwatch`` command line: run, sync, serve, subscribe, status, db upgrade.

Every command reads settings here, at the edge. Expected failures (a bad setting, Redis or the
database unreachable) print one line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import redis
from sqlalchemy.exc import SQLAlchemyError

from settings import Settings, SettingsError, load_settings
from worker.runtime import ServiceError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILURE = 1
EXIT_CONFIG = 2
UPSTREAM_HINT = " (check DOCKWATCH_UPSTREAM_URL and the network; the data so far is kept)"
# ``scheme://user:password@`` anywhere in a message: the password is never printed.
_CREDENTIALS = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


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
        except SQLAlchemyError as error:
            # E.g. the database went away mid-command (connect_database checked it at the start).
            fail(f"database error: {_reason(error)}. Check DOCKWATCH_DATABASE_URL.")
        except redis.RedisError as error:
            # E.g. Redis went away between the start-up PING and a later command.
            fail(f"Redis error: {_reason(error)}. Check DOCKWATCH_REDIS_URL and redis-server.")
        return None

    return wrapper  # type: ignore[return-value]


def _reason(error: Exception) -> str:
    """The error's first line (the driver's own message if wrapped), without any password."""
    text = str(getattr(error, "orig", None) or error).strip()
    first = text.splitlines()[0].rstrip(".") if text else type(error).__name__
    first = _CREDENTIALS.sub(r"\1:***@", first)
    for secret in _secrets():
        first = first.replace(secret, "***")
    return first


def _secrets() -> list[str]:
    """The configured passwords and token, to blank out wherever a message quotes them."""
    try:
        current = load_settings()
    except SettingsError:
        return []
    secrets = [urlsplit(url).password for url in (current.database_url, current.redis_url)]
    if current.api_token is not None:
        secrets.append(current.api_token.get_secret_value().strip())
    return [secret for secret in secrets if secret]


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
        for noisy in ("httpx", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


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
    from worker.cycle import Mode
    from worker.runtime import build_runtime, relay_now, run_locked_cycle

    runtime = build_runtime(settings())
    try:
        mode = Mode.FULL if full else Mode.POLL
        summary = run_locked_cycle(runtime, mode, after_commit=lambda: relay_now(runtime))
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


def _relay_remaining(runtime: Any) -> None:
    """A last relay pass; Redis being down only delays notifications (they stay queued)."""
    from worker.relay import RelayUnavailable
    from worker.runtime import relay_now

    try:
        relay_now(runtime)
    except (RelayUnavailable, OSError) as error:
        click.echo(f"dockwatch: notifications stay queued: {error}", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def status(as_json: bool) -> None:
    """Freshness, last sync results, request budget and outbox backlog (exit 3 when stale)."""
    from worker.status_report import status_command

    status_command(settings(), as_json=as_json)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the mirror over HTTP."""
    from worker.serve_command import serve_mirror

    serve_mirror(settings(), host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Mirror address.")
@click.option("--port", default=8000, show_default=True, type=int, help="Mirror port.")
@one_line_errors
def run(host: str, port: int) -> None:
    """The main job: migrations, worker, beat, relay and mirror, in the foreground."""
    from worker.supervisor import run_everything

    run_everything(settings(), host, port)


def _register_optional_commands() -> None:
    try:
        from worker.cli_subscribe import subscribe_command
    except ImportError:
        return
    main.add_command(subscribe_command, "subscribe")


def _register_demo() -> None:
    from worker.demo import demo_command

    main.add_command(demo_command, "demo")


_register_optional_commands()
_register_demo()


if __name__ == "__main__":
    main()
