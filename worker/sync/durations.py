"""Per-request durations (``time_in_space``, ``time_docked``): when a fetched value is news.

Upstream recomputes both on every request, so they are never compared as data. A stored value
is re-based only when the spacecraft's docked state changes or the value fetched strays from
what the stored one predicts; the payload digest sees a growing value as the instant it counts
from, so growth alone never makes an event look changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from models.ll2.errors import MalformedEvent
from models.ll2.formats import parse_duration
from models.ll2.parse import ParsedEvent, Row
from models.store.membership import among
from models.store.tables import DockingEvent, SpacecraftFlight, table_of

# How far a fetched duration may stray from the stored value's prediction before it is
# rewritten: covers clock skew and request latency, far below any real correction.
DURATION_DRIFT_SECONDS = 120


def _open_dockings(session: Session, spacecraft_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(event id, spacecraft id) of stored events without a departure for these spacecraft."""
    if not spacecraft_ids:
        return set()
    event, flight = table_of(DockingEvent), table_of(SpacecraftFlight)
    connection = session.connection()
    query = (
        select(event.c.id, flight.c.spacecraft_id)
        .join(flight, event.c.flight_vehicle_id == flight.c.id)
        .where(
            event.c.departure.is_(None),
            among(flight.c.spacecraft_id, connection.dialect.name, spacecraft_ids),
        )
    )
    return {(row[0], row[1]) for row in connection.execute(query)}


def docked_before_and_after(
    session: Session, events: Sequence[ParsedEvent]
) -> tuple[set[int], set[int]]:
    """Spacecraft with an open docking before this page, and after it is applied.

    ``time_docked`` grows only while a spacecraft is docked somewhere; when that changes, the
    stored duration must be re-based on the value just fetched.
    """
    crafts = [e.spacecraft["id"] for e in events if e.spacecraft is not None]
    stored = _open_dockings(session, crafts)
    before = {craft for _, craft in stored}
    page_ids = {e.event["id"] for e in events}
    after = {craft for event_id, craft in stored if event_id not in page_ids}
    for parsed in events:
        departure_known = "departure" in parsed.event
        still_open = (
            parsed.event.get("departure") is None
            if departure_known
            else any(event_id == parsed.event["id"] for event_id, _ in stored)
        )
        if parsed.spacecraft is not None and still_open:
            after.add(parsed.spacecraft["id"])
    return before, after


def _predicted(stored: Row, column: str, grows: bool, now: dt.datetime) -> int | None:
    value = stored.get(column)
    fetched_at = stored.get("durations_fetched_at")
    if value is None or fetched_at is None:
        return None
    return value + int((now - fetched_at).total_seconds()) if grows else int(value)


def durations_drifted(stored: Row, incoming: Row, docked: bool, now: dt.datetime) -> bool:
    checks = (
        ("time_in_space_seconds", bool(stored.get("in_space"))),
        ("time_docked_seconds", docked),
    )
    for column, grows in checks:
        if column not in incoming:
            continue
        predicted, fetched = _predicted(stored, column, grows, now), incoming[column]
        if (predicted is None) != (fetched is None):
            return True
        if predicted is not None and abs(predicted - fetched) > DURATION_DRIFT_SECONDS:
            return True
    return False


def duration_anchor(value: Any, grows: bool, now: dt.datetime) -> Any:
    """A growing duration as the instant it counts from, in drift-sized buckets.

    ``now - duration`` stays put while the duration grows with the clock, so the digest of an
    unchanged event stays put too; a correction larger than the drift tolerance moves it.
    """
    if not grows or not isinstance(value, str):
        return value
    try:
        seconds = parse_duration(value)
    except MalformedEvent:
        return value
    if seconds is None:
        return value
    return int(now.timestamp() - seconds) // DURATION_DRIFT_SECONDS
