"""The operator's view of the service: freshness, counts, sync state, outbox backlog, budget.

Built from the shared state only (the database, plus what lives in Redis: the request budget
with its unreachable back-off, and the sync lock's holder, each from an optional reader), so
``dockwatch status`` and any mirror process's ``/status`` report the same fleet-wide view.
Offline, or without a reader, that part is null; a failing reader is reported as
``{"error": …}`` instead of failing the report (so with Redis down the budget, the back-off
and the lock are unknown, never "none"). Every instant in the report is ISO-8601 UTC with
``Z``; durations are numbers of seconds named ``…_seconds``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.ll2.formats import format_datetime, format_instant
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
    ``host``, ``pid``, ``since`` and ``expires_in_seconds``. The readers' instants are epochs;
    the report writes them ISO-8601 (``budget_report``, ``lock_report``).
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
        "budget": _read(budget, budget_report),
        "lock": _read(lock, lock_report),
    }


def epoch_instant(epoch: float | None) -> str | None:
    """An epoch (seconds) as the report's instant, ``2025-04-04T05:24:14.5Z``; null kept."""
    return None if epoch is None else format_instant(dt.datetime.fromtimestamp(epoch, dt.UTC))


def budget_report(usage: Mapping[str, Any]) -> dict[str, Any]:
    """A budget reading (``RequestBudget.usage`` as a dict: epochs) with ISO-8601 instants:
    ``next_slot_at``, ``not_before`` and the back-off's ``since`` and ``until``."""
    report = dict(usage)
    for key in ("next_slot_at", "not_before"):
        if key in report:
            report[key] = epoch_instant(report[key])
    backoff = report.get("unreachable")
    if backoff:
        report["unreachable"] = {
            **backoff,
            "since": epoch_instant(backoff.get("since")),
            "until": epoch_instant(backoff.get("until")),
        }
    return report


def lock_report(holder: Mapping[str, Any]) -> dict[str, Any]:
    """The lock reading (``since`` an epoch) with ``since`` as an ISO-8601 instant."""
    report = dict(holder)
    if "since" in report:
        report["since"] = epoch_instant(report["since"])
    return report


def _read(
    reader: StateReader | None, shape: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> dict[str, Any] | None:
    if reader is None:
        return None
    try:
        reading = reader()
    except Exception as error:  # noqa: BLE001 - status must answer even when Redis is down
        return {"error": f"{type(error).__name__}: {error}"}
    return shape(reading)
