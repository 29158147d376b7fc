"""The operator's view of the mirror: last successful sync, freshness, counts and budget.

Reads the ``sync_state`` rows the sync writes (``last_success``, ``last_cycle``, ``sweep``,
``fill``) and counts the events. The request budget lives in Redis, which the mirror does not
need, so it comes from an optional callable the CLI injects; offline it is reported as null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from api_mirror.serialize import format_datetime
from models.tables import DockingEvent, SyncState

LAST_SUCCESS = "last_success"
LAST_CYCLE = "last_cycle"


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def read_status(
    session: Session,
    *,
    now: dt.datetime,
    stale_after_seconds: float = 3600.0,
    budget: Callable[[], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A JSON-ready status report."""
    states = {row.name: row for row in session.exec(select(SyncState))}
    success = states.get(LAST_SUCCESS)
    last_success = None
    if success is not None:
        last_success = _parse(success.value.get("at")) or success.updated_at
    freshness = None if last_success is None else (now - last_success).total_seconds()
    is_open = case((col(DockingEvent.departure).is_(None), 1), else_=0)
    events, open_events = session.exec(
        select(func.count(), func.coalesce(func.sum(is_open), 0)).select_from(DockingEvent)
    ).one()
    return {
        "last_successful_sync": format_datetime(last_success),
        "freshness_seconds": freshness,
        "stale": freshness is None or freshness > stale_after_seconds,
        "events": int(events),
        "open_events": int(open_events),
        "last_cycle": states[LAST_CYCLE].value if LAST_CYCLE in states else None,
        "sync_state": {
            name: {"value": row.value, "updated_at": format_datetime(row.updated_at)}
            for name, row in sorted(states.items())
        },
        "budget": _budget(budget),
    }


def _budget(reader: Callable[[], Mapping[str, Any]] | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    try:
        return dict(reader())
    except Exception as error:  # noqa: BLE001 - status must answer even when Redis is down
        return {"error": f"{type(error).__name__}: {error}"}
