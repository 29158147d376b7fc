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

from sqlalchemy import case, func, insert, select
from sqlmodel import Session

from models.ll2.graph import EventGraph, load_graphs
from models.ll2.render import LinkStyle, serialize_events
from models.store.tables import OutboxEntry, table_of
from models.support.redact import without_credentials
from worker.notify.cloudevents import EVENT_TYPES, build_event, format_sequence
from worker.sync.changes import Change, ChangeKind

log = logging.getLogger(__name__)

REMOVED_TYPE = EVENT_TYPES[ChangeKind.REMOVED]


class OutboxError(Exception):
    """A change cannot be turned into a notification (a caller bug, never an upstream fault)."""


def _graphs(session: Session, ids: Sequence[int]) -> dict[int, EventGraph]:
    # A private session on the caller's connection and transaction: it sees the store's
    # uncommitted Core writes, while the caller's identity map could hold stale rows.
    with Session(bind=session.connection()) as reader:
        return {graph.event.id: graph for graph in load_graphs(reader, ids)}


def _history(session: Session, subjects: list[str]) -> dict[str, tuple[int, int]]:
    """Per subject: the last sequence recorded and how many removals were recorded."""
    table = table_of(OutboxEntry)
    removals = func.sum(case((table.c.type == REMOVED_TYPE, 1), else_=0))
    query = (
        select(table.c.subject, func.max(table.c.sequence), removals)
        .where(table.c.subject.in_(subjects))
        .group_by(table.c.subject)
    )
    rows = session.connection().execute(query)
    return {subject: (int(last), int(removed)) for subject, last, removed in rows}


def _existing_ids(session: Session, event_ids: list[str]) -> set[str]:
    table = table_of(OutboxEntry)
    query = select(table.c.event_id).where(table.c.event_id.in_(event_ids))
    return set(session.connection().execute(query).scalars())


def _revision(graph: EventGraph, removals: int) -> str:
    # row_version tells apart a value changed back and forth; the removals recorded so far
    # tell apart an event re-created (row_version 1 again) after it was removed.
    return f"g{removals}v{graph.event.row_version}"


def record_changes(
    session: Session, changes: Sequence[Change], *, upstream_base: str, now: dt.datetime
) -> int:
    """Write one outbox row per new change in the caller's transaction; returns rows written.

    Record REMOVED changes before ``delete_events``: the notification carries the last state.
    Credentials in ``upstream_base`` never reach a notification (its ``source`` and urls).
    """
    if not changes:
        return 0
    upstream_base = without_credentials(upstream_base)
    ids = list(dict.fromkeys(change.event_id for change in changes))
    graphs = _graphs(session, ids)
    missing = sorted(set(ids) - set(graphs))
    if missing:
        raise OutboxError(f"docking events {missing} are not stored (record before deleting)")
    links = LinkStyle(base=upstream_base.rstrip("/"))
    serialized = serialize_events([graphs[i] for i in ids], mode="normal", links=links, now=now)
    documents = dict(zip(ids, serialized, strict=True))
    history = _history(session, [str(ident) for ident in ids])
    built: dict[str, dict[str, Any]] = {}
    for change in changes:
        graph = graphs[change.event_id]
        _, removals = history.get(str(change.event_id), (0, 0))
        event = build_event(
            change,
            documents[change.event_id],
            space_station_id=graph.event.space_station_id,
            revision=_revision(graph, removals),
            sequence=1,  # assigned below, once the duplicates are gone (no gaps)
            upstream_base=upstream_base,
            now=now,
        )
        built.setdefault(event["id"], event)
    existing = _existing_ids(session, list(built))
    fresh = [event for ident, event in built.items() if ident not in existing]
    last = {subject: sequence for subject, (sequence, _) in history.items()}
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
        session.connection().execute(insert(table_of(OutboxEntry)), rows)
    log.debug("outbox: %d of %d changes recorded", len(rows), len(changes))
    return len(rows)


def pending_count(session: Session) -> int:
    """How many outbox rows wait for the relay (the backlog ``dockwatch status`` shows)."""
    table = table_of(OutboxEntry)
    query = select(func.count()).select_from(table).where(table.c.published_at.is_(None))
    return int(session.connection().execute(query).scalar_one())
