"""The sync's domain events: what happened to a docking event, as notifications describe it.

The store returns ``Change`` values while it applies a page; the page's unit of work turns them
into outbox rows in the same transaction. Only the five fields subscribers see count as a
change (``SEMANTIC_FIELDS``); bookkeeping and the per-request durations never do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from models.store.tables import DockingEvent
from worker.sync.rows import Row, load_rows

# Docking-event columns whose change is a notification, with the name subscribers see.
SEMANTIC_FIELDS = {
    "docking": "docking",
    "departure": "departure",
    "docking_location_id": "docking_location",
    "space_station_id": "space_station",
    "flight_vehicle_id": "flight_vehicle",
}


class ChangeKind(StrEnum):
    """What happened to a docking event, as the notifications describe it."""

    CREATED = "created"
    DEPARTURE_SET = "departure_set"
    DEPARTURE_CLEARED = "departure_cleared"
    UPDATED = "updated"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """A semantic change to one docking event; ``fields`` maps a name to (old, new)."""

    kind: ChangeKind
    event_id: int
    docking: dt.datetime | None
    departure: dt.datetime | None
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def classify(old: Row | None, new: Row) -> Change | None:
    """The change from the stored row ``old`` (None: new event) to ``new``; None if no change."""
    if old is None:
        return Change(ChangeKind.CREATED, new["id"], new.get("docking"), new.get("departure"))
    fields = {
        SEMANTIC_FIELDS[name]: (old.get(name), new[name])
        for name in SEMANTIC_FIELDS
        if name in new and old.get(name) != new[name]
    }
    if not fields:
        return None
    departure = fields.get("departure")
    if departure is not None and departure[0] is None:
        kind = ChangeKind.DEPARTURE_SET
    elif departure is not None and departure[1] is None:
        kind = ChangeKind.DEPARTURE_CLEARED
    else:
        kind = ChangeKind.UPDATED
    merged = {**old, **new}
    return Change(kind, new["id"], merged.get("docking"), merged.get("departure"), fields)


def removal_changes(session: Session, event_ids: Sequence[int]) -> list[Change]:
    """The REMOVED changes for events about to be deleted (their last stored state)."""
    stored = load_rows(session, DockingEvent, list(event_ids))
    return [
        Change(ChangeKind.REMOVED, ident, row["docking"], row["departure"])
        for ident, row in sorted(stored.items())
    ]
