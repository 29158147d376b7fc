"""A counter of data writes, bumped in the same transaction as the rows it describes.

Any sync commit that writes a docking event or one of its nested rows (or deletes an event)
bumps it; an unchanged page writes nothing and leaves it alone. The mirror keys its ETags,
``Last-Modified`` and its response cache on it, which costs one tiny read per request instead
of hashing every served row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from models.tables import SyncState

DATA_VERSION = "data_version"


@dataclass(frozen=True)
class DataVersion:
    """The version number and when it last changed (None before any write)."""

    number: int
    changed_at: dt.datetime | None


def bump_data_version(session: Session, now: dt.datetime) -> int:
    """Increase the version inside the caller's transaction; returns the new number."""
    row = session.get(SyncState, DATA_VERSION)
    number = (int(row.value.get("number", 0)) if row is not None else 0) + 1
    value = {"number": number, "changed_at": now.astimezone(dt.UTC).isoformat()}
    if row is None:
        session.add(SyncState(name=DATA_VERSION, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
        session.add(row)
    session.flush()
    return number


def read_data_version(session: Session) -> DataVersion:
    """The current version (0 and None when nothing was ever written)."""
    row = session.get(SyncState, DATA_VERSION)
    if row is None:
        return DataVersion(0, None)
    changed = row.value.get("changed_at")
    return DataVersion(
        int(row.value.get("number", 0)),
        dt.datetime.fromisoformat(changed) if isinstance(changed, str) else None,
    )
