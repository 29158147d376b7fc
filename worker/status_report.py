"""``dockwatch status``: freshness, last cycle, budget used/left and outbox backlog.

Exits non-zero when the data is staler than ``DOCKWATCH_STALE_AFTER_SECONDS`` (or was never
synced), so the command doubles as a container healthcheck. It only reads: a database that is not
migrated to this version is a one-line error naming ``dockwatch db upgrade``, not a migration.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

import click
import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api_mirror.status import read_status
from models.db import alembic_config
from models.tables import OutboxEntry
from settings import Settings
from worker.budget import RequestBudget
from worker.runtime import ServiceError, connect_database, utc_now

EXIT_STALE = 3


def budget_reader(settings: Settings) -> Callable[[], Mapping[str, Any]]:
    """Reads the shared budget from Redis on demand (the mirror must not need Redis)."""

    def read() -> Mapping[str, Any]:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
        try:
            budget = RequestBudget(client, settings.key_prefix, settings.rate_limit_per_hour)
            return dataclasses.asdict(budget.usage())
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


def outbox_backlog(engine: Engine) -> int:
    """Notifications committed but not yet published."""
    with Session(engine) as session:
        query = select(func.count()).where(col(OutboxEntry.published_at).is_(None))
        return int(session.exec(query).one())


def gather(settings: Settings, engine: Engine) -> dict[str, Any]:
    """The full status report as JSON-ready data."""
    with Session(engine) as session:
        report = read_status(
            session,
            now=utc_now(),
            stale_after_seconds=settings.stale_after_seconds,
            budget=budget_reader(settings),
        )
    report["outbox_backlog"] = outbox_backlog(engine)
    return report


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
    lines.append(f"outbox backlog: {report.get('outbox_backlog')}")
    lines.append("state: STALE" if report.get("stale") else "state: fresh")
    return "\n".join(lines)


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
