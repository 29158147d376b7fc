"""The operator's view of the service (``StatusReport``): freshness, counts, sync state, outbox
backlog, budget and the sync lock.

Built from the shared state only (the database, plus what lives in Redis: the request budget
with its unreachable back-off, and the sync lock's holder, each from an optional reader), so
``dockwatch status`` and any mirror process's ``/status`` report the same fleet-wide view.
Offline, or without a reader, that part is null; a failing reader is reported as
``{"error": …}`` (``ReadFailure``) instead of failing the report (so with Redis down the budget,
the back-off and the lock are unknown, never "none"). Every instant in the report's JSON is
ISO-8601 UTC with ``Z``; durations are numbers of seconds named ``…_seconds``. The report's JSON
is ``report.model_dump(mode="json")``, and the mirror's OpenAPI schema of ``/status`` is
generated from ``StatusReport``, so the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.fleet.readings import BudgetUsage, LockFree, LockHeld
from models.store.outbox import outbox_backlog
from models.store.sync_state import (
    DataVersion,
    FillState,
    LastCycle,
    LastSuccess,
    SweepCheckpoint,
    read_record,
)
from models.store.tables import DockingEvent
from models.support.instants import Instant

# Read one Redis part of the report on demand (the budget; the lock holder); may raise.
BudgetReader = Callable[[], BudgetUsage]
LockReader = Callable[[], LockFree | LockHeld]
ReadingT = TypeVar("ReadingT", bound=BaseModel)


class ReadFailure(BaseModel):
    """Redis could not be read: ``error`` is the exception's type and message."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )

    error: str


class StatusReport(BaseModel):
    """Freshness, counts, sync state, outbox backlog and budget, read from the shared state
    (what `dockwatch status --json` prints and `/status` serves).

    ``stale`` when no sync succeeded within the stale-after setting; ``freshness_seconds`` is
    the age of the last success (null: never); ``last_cycle`` null before any cycle; ``budget``
    and ``lock`` null without a reader (no Redis), a ``ReadFailure`` when Redis failed.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )

    last_successful_sync: Instant | None
    freshness_seconds: float | None
    stale: bool
    events: int
    open_events: int
    last_cycle: LastCycle | None
    sweep: SweepCheckpoint
    fill: FillState
    data_version: DataVersion
    outbox_backlog: int
    budget: BudgetUsage | ReadFailure | None
    lock: LockFree | LockHeld | ReadFailure | None


def read_status(
    session: Session,
    *,
    now: dt.datetime,
    stale_after_seconds: float,
    budget: BudgetReader | None = None,
    lock: LockReader | None = None,
) -> StatusReport:
    """The report as of ``now``; ``stale`` when no sync succeeded within ``stale_after_seconds``.

    A reader that raises gives a ``ReadFailure`` in its place (status must answer even when
    Redis is down); database errors propagate.
    """
    last_success = read_record(session, LastSuccess).at
    freshness = None if last_success is None else (now - last_success).total_seconds()
    is_open = case((col(DockingEvent.departure).is_(None), 1), else_=0)
    events, open_events = session.exec(
        select(func.count(), func.coalesce(func.sum(is_open), 0)).select_from(DockingEvent)
    ).one()
    last_cycle = read_record(session, LastCycle)
    return StatusReport(
        last_successful_sync=last_success,
        freshness_seconds=freshness,
        stale=freshness is None or freshness > stale_after_seconds,
        events=int(events),
        open_events=int(open_events),
        last_cycle=None if last_cycle.finished_at is None else last_cycle,
        sweep=read_record(session, SweepCheckpoint),
        fill=read_record(session, FillState),
        data_version=read_record(session, DataVersion),
        outbox_backlog=outbox_backlog(session),
        budget=_read(budget),
        lock=_read(lock),
    )


def _read(reader: Callable[[], ReadingT] | None) -> ReadingT | ReadFailure | None:
    if reader is None:
        return None
    try:
        return reader()
    except Exception as error:  # noqa: BLE001 - status must answer even when Redis is down
        return ReadFailure(error=f"{type(error).__name__}: {error}")
