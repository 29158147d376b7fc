"""Reads of the outbox that every reporter shares: the backlog of unpublished notifications."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from models.tables import OutboxEntry, table_of


def outbox_backlog(session: Session) -> int:
    """How many committed notifications the relay has not published yet."""
    table = table_of(OutboxEntry)
    query = select(func.count()).select_from(table).where(table.c.published_at.is_(None))
    return int(session.connection().execute(query).scalar_one())
