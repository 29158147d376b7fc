"""The operator's view of the service: freshness, counts, sync state, outbox backlog, budget.

Built from the shared state only (the database, plus what lives in Redis: the request budget
with its unreachable back-off, and the sync lock's holder, each from an optional reader), so
``dockwatch status`` and any mirror process's ``/status`` report the same fleet-wide view.
Offline, or without a reader, that part is null; a failing reader is reported as
``{"error": …}`` instead of failing the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.ll2.formats import format_datetime
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

# Reads one part of the report from Redis (the budget; the lock holder) as JSON-ready data.
StateReader = Callable[[], Mapping[str, Any]]


def read_status(
    session: Session,
    *,
    now: dt.datetime,
    stale_after_seconds: float,
    budget: StateReader | None = None,
    lock: StateReader | None = None,
) -> dict[str, Any]:
    """A JSON-ready report; ``stale`` when no sync succeeded within ``stale_after_seconds``.

    ``budget`` gives ``used``, ``left``, ``limit``, ``next_slot_at``, ``not_before`` and
    ``unreachable`` (the back-off after connection failures: ``failures``, ``since``, ``until``,
    ``error``; null when upstream answered last); ``lock`` gives ``held`` and, when held,
    ``host``, ``pid``, ``since`` and ``expires_in`` (seconds). Instants there are epochs.
    """
    last_success = read_record(session, LastSuccess).at
    freshness = None if last_success is None else (now - last_success).total_seconds()
    is_open = case((col(DockingEvent.departure).is_(None), 1), else_=0)
    events, open_events = session.exec(
        select(func.count(), func.coalesce(func.sum(is_open), 0)).select_from(DockingEvent)
    ).one()
    last_cycle = read_record(session, LastCycle)
    return {
        "last_successful_sync": format_datetime(last_success),
        "freshness_seconds": freshness,
        "stale": freshness is None or freshness > stale_after_seconds,
        "events": int(events),
        "open_events": int(open_events),
        "last_cycle": None
        if last_cycle.finished_at is None
        else last_cycle.model_dump(mode="json"),
        "sweep": read_record(session, SweepCheckpoint).model_dump(mode="json"),
        "fill": read_record(session, FillState).model_dump(mode="json"),
        "data_version": read_record(session, DataVersion).model_dump(mode="json"),
        "outbox_backlog": outbox_backlog(session),
        "budget": _read(budget),
        "lock": _read(lock),
    }


def _read(reader: StateReader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    try:
        return dict(reader())
    except Exception as error:  # noqa: BLE001 - status must answer even when Redis is down
        return {"error": f"{type(error).__name__}: {error}"}
