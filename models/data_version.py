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

from models.sync_state import read_state, write_state

DATA_VERSION = "data_version"


@dataclass(frozen=True)
class DataVersion:
    """The version number and when it last changed (None before any write)."""

    number: int
    changed_at: dt.datetime | None


def bump_data_version(session: Session, now: dt.datetime) -> int:
    """Increase the version inside the caller's transaction; returns the new number."""
    number = read_data_version(session).number + 1
    value = {"number": number, "changed_at": now.astimezone(dt.UTC).isoformat()}
    write_state(session, DATA_VERSION, value, now)
    return number


def read_data_version(session: Session) -> DataVersion:
    """The current version (0 and None when nothing was ever written)."""
    value = read_state(session, DATA_VERSION)
    changed = value.get("changed_at")
    return DataVersion(
        int(value.get("number", 0)),
        dt.datetime.fromisoformat(changed) if isinstance(changed, str) else None,
    )
