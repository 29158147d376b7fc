"""A counter of data writes, bumped in the same transaction as the rows it describes.

Any sync commit that writes a docking event or one of its nested rows (or deletes an event)
bumps it; an unchanged page writes nothing and leaves it alone. The mirror keys its ETags,
``Last-Modified`` and its caches on it.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from models.sync_state import DataVersion, read_record, write_record


def bump_data_version(session: Session, now: dt.datetime) -> int:
    """Increase the version inside the caller's transaction; returns the new number."""
    number = read_data_version(session).number + 1
    write_record(session, DataVersion(number=number, changed_at=now), now)
    return number


def read_data_version(session: Session) -> DataVersion:
    """The current version (0 and None when nothing was ever written)."""
    return read_record(session, DataVersion)
