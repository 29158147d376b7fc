"""The transactional outbox: notifications written in the same transaction as their change.

``record_changes`` turns the store's semantic changes into CloudEvents and inserts them as
``outbox`` rows through the caller's session; it never commits, so the rows become visible
exactly when (and only if) the data they describe does. The relay publishes them afterwards.

A change whose CloudEvent id is already in the outbox writes nothing, so recording the same
change twice is harmless. ``sequence`` continues from the subject's highest recorded value; it
relies on one sync at a time (the sync lock) to stay free of gaps and duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlmodel import Session

from api_mirror.graph import EventGraph, load_graphs
from api_mirror.serialize import LinkStyle, serialize_events
from models.tables import OutboxEntry
from worker.cloudevents import build_event, format_sequence
from worker.store import Change

log = logging.getLogger(__name__)


class OutboxError(Exception):
    """A change cannot be turned into a notification (a caller bug, never an upstream fault)."""


def _table() -> Table:
    table = OutboxEntry.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _graphs(session: Session, ids: Sequence[int]) -> dict[int, EventGraph]:
    # A private session on the caller's connection and transaction: it sees the store's
    # uncommitted Core writes, while the caller's identity map could hold stale rows.
    with Session(bind=session.connection()) as reader:
        return {graph.event.id: graph for graph in load_graphs(reader, ids)}


def _last_sequences(session: Session, subjects: list[str]) -> dict[str, int]:
    table = _table()
    query = (
        select(table.c.subject, func.max(table.c.sequence))
        .where(table.c.subject.in_(subjects))
        .group_by(table.c.subject)
    )
    return {subject: int(last) for subject, last in session.connection().execute(query)}


def _existing_ids(session: Session, event_ids: list[str]) -> set[str]:
    table = _table()
    query = select(table.c.event_id).where(table.c.event_id.in_(event_ids))
    return set(session.connection().execute(query).scalars())


def _revision(graph: EventGraph) -> str:
    event = graph.event
    return f"{event.row_version}@{event.first_seen_at.isoformat()}"


def record_changes(
    session: Session, changes: Sequence[Change], *, upstream_base: str, now: dt.datetime
) -> int:
    """Write one outbox row per new change in the caller's transaction; returns rows written.

    Record REMOVED changes before ``delete_events``: the notification carries the last state.
    """
    if not changes:
        return 0
    ids = list(dict.fromkeys(change.event_id for change in changes))
    graphs = _graphs(session, ids)
    missing = sorted(set(ids) - set(graphs))
    if missing:
        raise OutboxError(f"docking events {missing} are not stored (record before deleting)")
    links = LinkStyle(base=upstream_base.rstrip("/"))
    serialized = serialize_events([graphs[i] for i in ids], mode="normal", links=links, now=now)
    documents = dict(zip(ids, serialized, strict=True))
    built: dict[str, dict[str, Any]] = {}
    for change in changes:
        graph = graphs[change.event_id]
        event = build_event(
            change,
            documents[change.event_id],
            space_station_id=graph.event.space_station_id,
            revision=_revision(graph),
            sequence=1,  # assigned below, once the duplicates are gone (no gaps)
            upstream_base=upstream_base,
            now=now,
        )
        built.setdefault(event["id"], event)
    existing = _existing_ids(session, list(built))
    fresh = [event for ident, event in built.items() if ident not in existing]
    last = _last_sequences(session, sorted({event["subject"] for event in fresh}))
    rows = []
    for event in fresh:
        number = last[event["subject"]] = last.get(event["subject"], 0) + 1
        event["sequence"] = format_sequence(number)
        rows.append(
            {
                "event_id": event["id"],
                "subject": event["subject"],
                "sequence": number,
                "type": event["type"],
                "payload": event,
                "created_at": now,
                "published_at": None,
            }
        )
    if rows:
        session.connection().execute(insert(_table()), rows)
    log.debug("outbox: %d of %d changes recorded", len(rows), len(changes))
    return len(rows)


def pending_count(session: Session) -> int:
    """How many outbox rows wait for the relay (the backlog ``dockwatch status`` shows)."""
    table = _table()
    query = select(func.count()).select_from(table).where(table.c.published_at.is_(None))
    return int(session.connection().execute(query).scalar_one())
