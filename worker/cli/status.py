"""``dockwatch status [--json]``: freshness, last cycle, budget used/left and outbox backlog.

Exits 3 when the data is staler than ``DOCKWATCH_STALE_AFTER_SECONDS`` (or was never synced), so
the command doubles as a container healthcheck. It only reads: a database that is not migrated
to this version is a one-line error naming ``dockwatch db upgrade``, not a migration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.clock import utc_now
from models.db import alembic_config
from models.ll2.formats import format_instant
from models.redis_client import make_redis
from models.status import StateReader, read_status
from settings import Settings, load_settings
from worker.bootstrap import ServiceError, connect_database, sync_lock_key
from worker.cli.errors import EXIT_STALE, one_line_errors
from worker.sync.lock import SingleFlight
from worker.upstream.budget import RequestBudget


def budget_reader(settings: Settings) -> StateReader:
    """Reads the shared budget from Redis on demand (the mirror must not need Redis)."""

    def read() -> Mapping[str, Any]:
        client = make_redis(settings.redis_url)
        try:
            budget = RequestBudget(client, settings.key_prefix, settings.rate_limit_per_hour)
            return dataclasses.asdict(budget.usage())
        finally:
            client.close()

    return read


def lock_reader(settings: Settings) -> StateReader:
    """Reads who holds the sync lock from Redis on demand: ``{"held": false}`` when nobody."""

    def read() -> Mapping[str, Any]:
        client = make_redis(settings.redis_url)
        try:
            lock = SingleFlight(client, sync_lock_key(settings), settings.sync_lock_ttl_seconds)
            holder = lock.holder()
            return {"held": False} if holder is None else {"held": True, **holder}
        finally:
            client.close()

    return read


def require_migrated(engine: Engine) -> None:
    """Raise ServiceError unless the schema is at (or past) this version's migration head."""
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    scripts = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    known = {script.revision for script in scripts.walk_revisions()}
    # A revision this code does not know is a newer schema: report on it as best we can.
    if not current or (current != set(scripts.get_heads()) and current <= known):
        raise ServiceError(
            "the database is not migrated to this version of dockwatch: run `dockwatch db upgrade`"
            " (or check DOCKWATCH_DATABASE_URL)."
        )


def gather(settings: Settings, engine: Engine) -> dict[str, Any]:
    """The full status report as JSON-ready data."""
    with Session(engine) as session:
        return read_status(
            session,
            now=utc_now(),
            stale_after_seconds=settings.stale_after_seconds,
            budget=budget_reader(settings),
            lock=lock_reader(settings),
        )


def render(report: Mapping[str, Any]) -> str:
    """The report as a few human lines."""
    freshness = report.get("freshness_seconds")
    lines = [
        f"last successful sync: {report.get('last_successful_sync') or 'never'}"
        + (f" ({freshness:.0f} s ago)" if freshness is not None else ""),
        f"events: {report.get('events')} ({report.get('open_events')} still docked)",
    ]
    cycle = (report.get("last_cycle") or {}).get("summary")
    if cycle:
        lines.append("last cycle: " + json.dumps(cycle))
    budget = report.get("budget") or {}
    if "error" in budget:
        lines.append(f"budget: unavailable ({budget['error']})")
    elif budget:
        lines.append(
            f"budget: {budget.get('used')} used, {budget.get('left')} left "
            f"of {budget.get('limit')} per hour"
        )
    lines.append(_unreachable_line(budget.get("unreachable")))
    lines.append(_lock_line(report.get("lock")))
    lines.append(f"outbox backlog: {report.get('outbox_backlog')}")
    lines.append("state: STALE" if report.get("stale") else "state: fresh")
    return "\n".join(lines)


def _instant(epoch: float | None) -> str:
    return "?" if epoch is None else format_instant(dt.datetime.fromtimestamp(epoch, dt.UTC))


def _unreachable_line(backoff: Mapping[str, Any] | None) -> str:
    if not backoff:
        return "upstream back-off: none"
    return (
        f"upstream back-off: {backoff.get('failures')} connection failure(s) in a row "
        f"({backoff.get('error')}) since {_instant(backoff.get('since'))}; "
        f"no request before {_instant(backoff.get('until'))}"
    )


def _lock_line(lock: Mapping[str, Any] | None) -> str:
    if lock is None or "error" in lock:
        return f"sync lock: unknown ({(lock or {}).get('error', 'not read')})"
    if not lock.get("held"):
        return "sync lock: free"
    who = f"process {lock['pid']} on {lock['host']}" if lock.get("pid") else "an unknown holder"
    return (
        f"sync lock: held by {who} since {_instant(lock.get('since'))} "
        f"(expires in {lock.get('expires_in', 0):.0f} s unless renewed)"
    )


def status_command(settings: Settings, *, as_json: bool = False) -> None:
    """Print the report; exit ``EXIT_STALE`` when the data is stale."""
    engine = connect_database(settings.database_url, migrate=False)
    try:
        require_migrated(engine)
        report = gather(settings, engine)
    finally:
        engine.dispose()
    click.echo(json.dumps(report, default=str) if as_json else render(report))
    if report.get("stale"):
        raise SystemExit(EXIT_STALE)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def status(as_json: bool) -> None:
    """Freshness, last sync results, request budget and outbox backlog (exit 3 when stale)."""
    status_command(load_settings(), as_json=as_json)
