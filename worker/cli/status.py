"""``dockwatch status [--json]``: freshness, last cycle, next poll, budget and outbox backlog.

Exits 3 when the data is staler than ``DOCKWATCH_STALE_AFTER_SECONDS`` (or was never synced), so
the command doubles as a container healthcheck, and 1 when Redis does not answer (after the
report: the database part still holds). It only reads and creates nothing: no database where the
URL points, or one not migrated to this version, is a one-line error naming the fix.
"""

from __future__ import annotations

import datetime as dt
import json
import socket

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.fleet.readings import BudgetUsage, LockFree, LockHeld
from models.ll2.formats import format_instant
from models.store.db import alembic_config
from models.store.status import ReadFailure, StatusReport, read_status
from models.store.sync_state import LastCycle
from models.support.clock import utc_now
from models.support.instants import epoch_datetime
from models.support.redact import redact_text
from models.support.spans import human_span
from settings import Settings, load_settings
from worker.bootstrap import (
    ServiceError,
    budget_reader,
    cadence_for,
    lock_reader,
    open_database,
    redis_unreachable,
)
from worker.cli.errors import EXIT_STALE, fail, one_line_errors
from worker.sync.lock import process_exists

CYCLE_COUNTS = ("created", "updated", "unchanged", "removed", "notifications")
# The command that ends the back-off and upstream's Retry-After hold (``worker.cli.budget``).
RESET_HINT = "`dockwatch budget reset`"
# A cycle's error is cut to this in the text (the whole of it is in ``--json``).
ERROR_SHOWN_CHARS = 160


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


def gather(settings: Settings, engine: Engine) -> StatusReport:
    """The full status report."""
    with Session(engine) as session:
        return read_status(
            session,
            now=utc_now(),
            stale_after_seconds=settings.stale_after_seconds,
            budget=budget_reader(settings),
            lock=lock_reader(settings),
        )


def render(report: StatusReport, *, now: dt.datetime, poll_every: float) -> str:
    """The report as a few human lines (the rest is left to ``--json``).

    ``poll_every`` is the cadence's poll interval in seconds, for the next-poll line.
    """
    cycle = report.last_cycle
    lines = [
        f"last successful sync: {_when(report.last_successful_sync, now)}",
        cycle_line(cycle, now),
        next_poll_line(cycle, poll_every, now),
        f"events: {report.events} ({report.open_events} still docked)",
        budget_line(report.budget),
        unreachable_line(report.budget),
        _lock_line(report.lock),
        f"outbox backlog: {report.outbox_backlog}",
        "state: STALE" if report.stale else "state: fresh",
    ]
    return "\n".join(lines)


def cycle_line(cycle: LastCycle | None, now: dt.datetime) -> str:
    """``last cycle: <when>: 1 request, 0 created, …; complete`` (or why it stopped early)."""
    if cycle is None or cycle.finished_at is None:
        return "last cycle: none yet"
    summary = cycle.summary
    requests = summary.requests
    counts = ", ".join(f"{getattr(summary, key)} {key}" for key in CYCLE_COUNTS)
    text = f"last cycle: {_when(cycle.finished_at, now)}: "
    text += f"{requests} request{'' if requests == 1 else 's'}, {counts}"
    if summary.complete:
        return text + "; complete"
    text += f"; stopped early ({summary.reason or 'no reason recorded'}"
    if summary.resume_at:
        text += f", resumes at {summary.resume_at}"
    text += ")"
    error = summary.error or ""
    return text + (f": {_shorten(error)}" if error else "")


def next_poll_line(cycle: LastCycle | None, poll_every: float, now: dt.datetime) -> str:
    """When the next poll is due: at most one interval after the last cycle, while beat runs.

    Beat keeps its schedule in memory, so the estimate comes from the cadence and the last
    cycle (any cycle: a poll came at most one interval before it). With no cycle yet, or none
    for two intervals, nothing says a poll is coming: the line says "unknown" and why.
    """
    every = f"one every {human_span(poll_every)}"
    if cycle is None or cycle.finished_at is None:
        return f"next poll: unknown (no cycle has run yet; {every} while the worker and beat run)"
    last = cycle.finished_at
    due = last + dt.timedelta(seconds=poll_every)
    if now < due:
        return (
            f"next poll: by {_clock(due)} (in {human_span((due - now).total_seconds())}; {every})"
        )
    if now < due + dt.timedelta(seconds=poll_every):
        return f"next poll: due now ({every})"
    silent = human_span((now - last).total_seconds())
    return (
        f"next poll: unknown (no cycle for {silent}, {every} expected: are the worker and"
        " exactly one beat running?)"
    )


def budget_line(budget: BudgetUsage | ReadFailure | None) -> str:
    """Requests used and left in the sliding hour, and when the next one may go if none is left."""
    if budget is None:
        return "budget: unknown"
    if isinstance(budget, ReadFailure):
        return "budget: unavailable (Redis unreachable)"
    text = f"budget: {budget.used} used, {budget.left} left of {budget.limit} per hour"
    if budget.next_slot_at is not None:
        text += f"; next request at {_clock(epoch_datetime(budget.next_slot_at))}"
    if budget.not_before is not None:
        text += f" (upstream's Retry-After holds until {_shown(budget.not_before)};"
        text += f" {RESET_HINT} clears it)"
    return text


def _clock(moment: dt.datetime) -> str:
    """An instant to the second, in the one format dockwatch writes instants in."""
    return format_instant(moment.replace(microsecond=0))


def _when(instant: dt.datetime | None, now: dt.datetime) -> str:
    """``2025-04-04T05:24:14Z (12 s ago)``, or ``never``."""
    if instant is None:
        return "never"
    return f"{_clock(instant)} ({human_span((now - instant).total_seconds())} ago)"


def _shorten(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= ERROR_SHOWN_CHARS else line[: ERROR_SHOWN_CHARS - 1] + "…"


def _shown(epoch: float | None) -> str:
    """An epoch instant to the second, ``?`` when missing."""
    return "?" if epoch is None else _clock(epoch_datetime(epoch))


def unreachable_line(budget: BudgetUsage | ReadFailure | None) -> str:
    """The back-off after connection failures: ``none``, its state and how to clear it, or
    ``unknown`` when the budget could not be read (Redis down, or no reader)."""
    if not isinstance(budget, BudgetUsage):
        why = "not read" if budget is None else "Redis unreachable"
        return f"upstream back-off: unknown ({why})"
    backoff = budget.unreachable
    if backoff is None:
        return "upstream back-off: none"
    return (
        f"upstream back-off: {backoff.failures} connection failure(s) in a row "
        f"({backoff.error}) since {_shown(backoff.since)}; "
        f"no request before {_shown(backoff.until)} (an answer from upstream ends it;"
        f" after fixing DOCKWATCH_UPSTREAM_URL or the network, {RESET_HINT} ends it now)"
    )


def _lock_line(lock: LockFree | LockHeld | ReadFailure | None) -> str:
    if lock is None or isinstance(lock, ReadFailure):
        return f"sync lock: unknown ({'not read' if lock is None else lock.error})"
    if isinstance(lock, LockFree):
        return "sync lock: free"
    who = f"process {lock.pid} on {lock.host}" if lock.pid else "an unknown holder"
    if lock.pid and lock.host == socket.gethostname() and not process_exists(lock.pid):
        return (
            f"sync lock: held by {who}, which is gone (killed mid-cycle): the next cycle on this"
            f" host takes it over at once, elsewhere it frees in {lock.expires_in_seconds:.0f} s"
        )
    return (
        f"sync lock: held by {who} since {_shown(lock.since)} "
        f"(expires in {lock.expires_in_seconds:.0f} s unless renewed)"
    )


def status_command(settings: Settings, *, as_json: bool = False) -> None:
    """Print the report; exit 1 when Redis is unreachable, else ``EXIT_STALE`` when stale.

    The report comes from the database alone except the budget, so with Redis down it is still
    printed (how fresh the data is helps most then), followed by the one-line Redis error: a
    healthcheck sees a failure, not "fresh".
    """
    with open_database(settings.database_url, migrate=False, create=False) as engine:
        require_migrated(engine)
        report = gather(settings, engine)
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json")))
    else:
        click.echo(render(report, now=utc_now(), poll_every=cadence_for(settings).poll))
    if isinstance(report.budget, ReadFailure):
        detail = redact_text(report.budget.error, settings.secrets())
        fail(redis_unreachable(settings.redis_url, detail))
    if report.stale:
        raise SystemExit(EXIT_STALE)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def status(as_json: bool) -> None:
    """Freshness, last cycle, next poll, budget, outbox backlog (exit 3 stale, 1 Redis down)."""
    status_command(load_settings(), as_json=as_json)
