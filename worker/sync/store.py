"""Idempotent upsert of upstream docking events, returning the semantic changes.

One page is applied in a handful of statements per table: the stored rows are loaded with one
``SELECT … WHERE id IN (…)``, compared in Python, and only new or changed rows are written with
a dialect-aware ``INSERT … ON CONFLICT DO UPDATE``. An unchanged event writes nothing.
``time_in_space``/``time_docked`` grow on every upstream request, so they are never compared; they
are rewritten only when the value fetched has drifted from what the stored one predicts.
A write bumps the data version and renders the mirror's documents of every event it can change
(``worker.sync.documents``) in the same transaction. Helpers never commit: the caller owns the
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, SQLModel

from models.ll2.errors import MalformedEvent
from models.ll2.parse import ParsedEvent, Row, parse_event
from models.ll2.records import EventRecord, FlightRecord, SpacecraftRecord
from models.ll2.schema import valid_event_id
from models.store.data_version import bump_data_version
from models.store.membership import among
from models.store.tables import (
    Agency,
    DockingEvent,
    DockingLocation,
    Spacecraft,
    SpacecraftConfig,
    SpacecraftConfigType,
    SpacecraftFlight,
    SpacecraftStatus,
    SpaceStation,
    table_of,
)
from models.support.clock import utc_now
from worker.sync.changes import Change, ChangeKind, classify
from worker.sync.digest import payload_digest, stored_digest_matches
from worker.sync.documents import (
    embedding_records,
    events_embedding,
    refresh_documents,
    remove_documents,
    spacecraft_of_events,
)
from worker.sync.durations import docked_before_and_after, durations_drifted
from worker.sync.known import record_of
from worker.sync.rows import differences, load_rows, merge_by_id, upsert_rows

log = logging.getLogger(__name__)

VOLATILE_SPACECRAFT = frozenset(
    {"time_in_space_seconds", "time_docked_seconds", "durations_fetched_at"}
)
BOOKKEEPING = frozenset({"row_version", "first_seen_at", "last_changed_at", "payload_digest"})


@dataclass
class ApplyResult:
    """The outcome of applying one page."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rows_written: int = 0
    seen_ids: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def _upsert_plain(
    session: Session,
    model: type[SQLModel],
    rows: Iterable[Row],
    state: dict[int, Row] | None = None,
) -> tuple[set[int], set[int]]:
    """Upsert nested rows; returns (the ids written, those of them that were not stored).

    ``state`` (when given) gains each row as it is now stored (see ``worker.sync.known``).
    """
    incoming = merge_by_id(rows)
    stored = load_rows(session, model, list(incoming))
    to_write = []
    for ident, row in incoming.items():
        old = stored.get(ident)
        if old is None or differences(old, row, frozenset()):
            to_write.append({**(old or {}), **row})
            if state is not None:
                state[ident] = to_write[-1]
        elif state is not None:
            state[ident] = old
    upsert_rows(session, model, to_write)
    return {row["id"] for row in to_write}, set(incoming) - set(stored)


def _upsert_spacecraft(
    session: Session, events: Sequence[ParsedEvent], now: dt.datetime, state: dict[int, Row]
) -> tuple[set[int], set[int]]:
    """Upsert spacecraft; returns (ids written, ids whose non-volatile fields changed).

    A write that only re-bases the durations is bookkeeping, not a change to the event.
    ``state`` gains each spacecraft as it is now stored.
    """
    incoming = merge_by_id(e.spacecraft for e in events if e.spacecraft is not None)
    stored = load_rows(session, Spacecraft, list(incoming))
    docked_before, docked_after = docked_before_and_after(session, events)
    to_write, changed = [], set()
    for ident, row in incoming.items():
        old = stored.get(ident)
        docked = ident in docked_before
        if old is None or differences(old, row, VOLATILE_SPACECRAFT):
            changed.add(ident)
        elif docked == (ident in docked_after) and not durations_drifted(old, row, docked, now):
            state[ident] = old
            continue
        to_write.append({**(old or {}), **row})
        state[ident] = to_write[-1]
    upsert_rows(session, Spacecraft, to_write)
    return {row["id"] for row in to_write}, changed


def parse_page(
    payloads: Iterable[Any], *, fetched_at: dt.datetime
) -> tuple[list[ParsedEvent], int]:
    """Parse a page's events, skipping (and counting) those that break the 2.2.0 schema.

    Each skipped event is one warning naming its id and the reason; its stored version stays.
    """
    parsed, skipped = [], 0
    for payload in payloads:
        try:
            parsed.append(parse_event(payload, fetched_at=fetched_at))
        except MalformedEvent as error:
            skipped += 1
            log.warning(
                "skipping docking event %s: it breaks the 2.2.0 schema (%s); "
                "the stored version is kept",
                error.event_id,
                error,
            )
    return parsed, skipped


def _skip_unchanged(
    session: Session, payloads: list[Any], result: ApplyResult, now: dt.datetime
) -> tuple[list[Any], dict[int, str]]:
    """Drop the payloads whose digest matches the stored one: nothing in them can differ.

    A stored digest is only ever that of a payload that passed the schema, so a matching one
    needs no validation; an id that is not a valid 2.2.0 id never reaches the query. The stored
    digests are read first, so each payload is hashed once, in the form its row holds
    (``worker.sync.digest``). Returns the payloads left to parse and the digest to write with
    each of them by event id.
    """
    ids = [valid_event_id(payload) for payload in payloads]
    wanted = sorted({ident for ident in ids if ident is not None})
    table = table_of(DockingEvent)
    connection = session.connection()
    query = select(table.c.id, table.c.payload_digest).where(
        among(table.c.id, connection.dialect.name, wanted)
    )
    stored = dict(connection.execute(query).tuples().all()) if wanted else {}
    left, digests = [], {}
    for ident, payload in zip(ids, payloads, strict=True):
        if ident is not None and stored_digest_matches(stored.get(ident), payload, now):
            result.unchanged += 1
            result.seen_ids.append(ident)
            continue
        if ident is not None:
            digests[ident] = payload_digest(payload, now)
        left.append(payload)
    return left, digests


def apply_page(session: Session, payloads: Iterable[Any], *, now: dt.datetime) -> ApplyResult:
    """Upsert one page of detailed-mode events; returns counts and semantic changes.

    An event whose payload digest matches the stored one is counted unchanged without being
    parsed or compared: a no-op resync costs one SELECT per page.
    """
    result = ApplyResult()
    left, digests = _skip_unchanged(session, list(payloads), result, now)
    events, result.skipped = parse_page(left, fetched_at=now)
    if not events:
        return result
    for parsed in events:
        parsed.event["payload_digest"] = digests.get(parsed.event["id"])
    # Each event, flight and spacecraft of the page as it is stored once the page is applied.
    event_state: dict[int, Row] = {}
    flight_state: dict[int, Row] = {}
    craft_state: dict[int, Row] = {}
    touched: set[int] = set()  # event ids whose graph had any row written
    flights: set[int] = set()  # stored flights written, or left by an event moved to another one

    def collect(rows: Iterable[tuple[int, Row | None]]) -> dict[int, set[int]]:
        owners: dict[int, set[int]] = {}
        for event_id, row in rows:
            if row is not None:
                owners.setdefault(row["id"], set()).add(event_id)
        return owners

    nested: list[tuple[type[SQLModel], str]] = [
        (Agency, "agency"),
        (SpacecraftConfigType, "config_type"),
        (SpacecraftStatus, "status"),
        (SpacecraftConfig, "config"),
        (SpacecraftFlight, "flight"),
        (DockingLocation, "location"),
    ]
    for model, attribute in nested:
        pairs = [(event.event["id"], getattr(event, attribute)) for event in events]
        owners = collect(pairs)
        written, created = _upsert_plain(
            session,
            model,
            (row for _, row in pairs if row is not None),
            flight_state if model is SpacecraftFlight else None,
        )
        touched.update(owner for ident in written for owner in owners[ident])
        result.rows_written += len(written)
        if model is SpacecraftFlight:
            # A flight new to the mirror has no stored events but this page's, which are
            # written; its spacecraft's docked state is the spacecraft upsert's to notice.
            flights |= written - created

    station_pairs = [(e.event["id"], row) for e in events for row in e.stations]
    owners = collect(station_pairs)
    written, _ = _upsert_plain(session, SpaceStation, (row for _, row in station_pairs))
    touched.update(owner for ident in written for owner in owners[ident])
    result.rows_written += len(written)

    craft_pairs = [(e.event["id"], e.spacecraft) for e in events]
    owners = collect(craft_pairs)
    crafts, changed = _upsert_spacecraft(session, events, now, craft_state)
    touched.update(owner for ident in changed for owner in owners[ident])
    result.rows_written += len(crafts)

    written_events = _apply_events(
        session, [event.event for event in events], now, result, touched, flights, event_state
    )
    if result.rows_written:
        version = bump_data_version(session, now)
        known = embedding_records(session, flights=flights, spacecraft=crafts)
        embedding = set(known.events)
        known.events.update((i, record_of(EventRecord, row)) for i, row in event_state.items())
        known.flights.update((i, record_of(FlightRecord, row)) for i, row in flight_state.items())
        known.spacecraft.update(
            (i, record_of(SpacecraftRecord, row)) for i, row in craft_state.items()
        )
        refresh_documents(session, written_events | embedding, version, known=known)
    return result


def _apply_events(
    session: Session,
    rows: list[Row],
    now: dt.datetime,
    result: ApplyResult,
    touched: set[int],
    flights: set[int],
    state: dict[int, Row],
) -> set[int]:
    """Upsert the events; returns the ids written (``flights`` gains the flights they left,
    ``state`` each event as it is now stored)."""
    incoming = merge_by_id(rows)
    stored = load_rows(session, DockingEvent, list(incoming))
    to_write: list[Row] = []
    for ident, row in incoming.items():
        old = stored.get(ident)
        result.seen_ids.append(ident)
        if old is None:
            to_write.append({**row, "row_version": 1, "first_seen_at": now, "last_changed_at": now})
            result.created += 1
        elif differences(old, row, BOOKKEEPING):
            to_write.append(
                {**old, **row, "row_version": old["row_version"] + 1, "last_changed_at": now}
            )
            result.updated += 1
        elif ident in touched:
            # Nested rows changed: the event row itself only takes the new digest.
            to_write.append({**old, **row})
            result.updated += 1
        else:
            if old.get("payload_digest") is None:
                to_write.append({**old, **row})  # a row stored before digests existed
            state[ident] = to_write[-1] if old.get("payload_digest") is None else old
            result.unchanged += 1
            continue
        change = classify(old, row)
        if change is not None:
            result.changes.append(change)
        if old is None and row.get("departure") is not None:
            # A visit that began and ended between two polls: subscribers still get both.
            result.changes.append(
                Change(
                    ChangeKind.DEPARTURE_SET,
                    ident,
                    row.get("docking"),
                    row["departure"],
                    {"departure": (None, row["departure"])},
                )
            )
    result.rows_written += upsert_rows(session, DockingEvent, to_write)
    for row in to_write:
        state[row["id"]] = row
        old_flight = stored.get(row["id"], {}).get("flight_vehicle_id")
        if old_flight is not None and old_flight != row.get("flight_vehicle_id"):
            flights.add(old_flight)
    return {row["id"] for row in to_write}


def delete_events(
    session: Session, event_ids: Sequence[int], *, now: dt.datetime | None = None
) -> int:
    """Delete docking events (their nested objects stay: other events may share them).

    Their documents become tombstones, and the other events of their spacecraft are rendered
    again (one of them may have lost its last docking without a departure).
    """
    if not event_ids:
        return 0
    table = table_of(DockingEvent)
    crafts = spacecraft_of_events(session, event_ids)
    result = session.connection().execute(delete(table).where(table.c.id.in_(event_ids)))
    deleted = int(result.rowcount or 0)
    if deleted:
        version = bump_data_version(session, now or utc_now())
        remove_documents(session, event_ids, version)
        others = events_embedding(session, flights=(), spacecraft=crafts)
        refresh_documents(session, others, version)
    return deleted
