"""Reads of the outbox that every reporter shares: the backlog of unpublished notifications, its
oldest row, and the latest notification of a given type (for detection latency)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from models.ll2.formats import parse_instant
from models.store.tables import OutboxEntry, table_of


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands instants back without a zone; every stored instant is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def outbox_backlog(session: Session) -> int:
    """How many committed notifications the relay has not published yet."""
    return outbox_pending(session).backlog


@dataclass(frozen=True, slots=True)
class OutboxPending:
    """The unpublished rows: how many, and when the oldest was written (None when there are
    none)."""

    backlog: int
    oldest_created_at: dt.datetime | None


def outbox_pending(session: Session) -> OutboxPending:
    """The backlog and its oldest row's ``created_at``, in one statement."""
    table = table_of(OutboxEntry)
    query = (
        select(func.count(), func.min(table.c.created_at))
        .select_from(table)
        .where(table.c.published_at.is_(None))
    )
    count, oldest = session.connection().execute(query).one()
    return OutboxPending(int(count), _aware(oldest))


@dataclass(frozen=True, slots=True)
class Detection:
    """How soon a change was noticed: when it happened upstream (the CloudEvent ``time``: the
    docking or departure instant) and when dockwatch wrote it (the outbox row's ``created_at``,
    the clock reading of the transaction that committed the change)."""

    happened_at: dt.datetime
    written_at: dt.datetime

    @property
    def latency_seconds(self) -> float:
        """Seconds from the upstream instant to the write (negative for an instant planned
        ahead of its write)."""
        return (self.written_at - self.happened_at).total_seconds()


def last_detection(session: Session, event_type: str) -> Detection | None:
    """The latest recorded notification of ``event_type`` (``docking_event.docked``, …) as a
    ``Detection``; None when the outbox holds none, or its ``time`` is missing or malformed."""
    table = table_of(OutboxEntry)
    query = (
        select(table.c.payload, table.c.created_at)
        .where(table.c.type == event_type)
        .order_by(table.c.seq.desc())
        .limit(1)
    )
    row = session.connection().execute(query).first()
    if row is None:
        return None
    payload, created_at = row
    time = payload.get("time") if isinstance(payload, dict) else None
    try:
        happened = parse_instant(time) if isinstance(time, str) else None
    except ValueError:
        return None
    written = _aware(created_at)
    if happened is None or written is None:
        return None
    return Detection(happened, written)
