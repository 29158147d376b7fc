"""A counter of data writes, bumped in the same transaction as the rows it describes.

Any sync commit that writes a docking event or one of its nested rows (or deletes an event)
bumps it; an unchanged page writes nothing and leaves it alone. The mirror keys its snapshots,
ETags, ``Last-Modified`` and caches on it. Writers announce a new version on a Pub/Sub channel
(``data_version_channel``) after their commit: a hint that lets readers check at once instead
of at their next periodic check (the hint carries nothing a reader trusts; it reads the version).
"""

from __future__ import annotations

import datetime as dt

import redis
from sqlalchemy import Connection, select
from sqlmodel import Session

from models.fleet.keys import FleetKeys
from models.store.sync_state import DataVersion, read_record, write_record
from models.store.tables import SyncState, table_of

_STATE = table_of(SyncState)


def bump_data_version(session: Session, now: dt.datetime) -> int:
    """Increase the version inside the caller's transaction; returns the new number.

    The row is locked first (PostgreSQL; SQLite has one writer anyway), so two writers can
    never both write the same next number.
    """
    # Held while the record is read and written: the identity map keeps only referenced rows,
    # so without it each of those would SELECT the row again.
    locked = session.get(SyncState, DataVersion.NAME, with_for_update=True)
    number = read_data_version(session).number + 1
    write_record(session, DataVersion(number=number, changed_at=now), now)
    del locked
    return number


def read_data_version(session: Session) -> DataVersion:
    """The current version (0 and None when nothing was ever written)."""
    return read_record(session, DataVersion)


def data_version_at(connection: Connection) -> DataVersion:
    """``read_data_version`` through a Core connection (in its transaction)."""
    statement = select(_STATE.c.value).where(_STATE.c.name == DataVersion.NAME)
    value = connection.execute(statement).scalar_one_or_none()
    return DataVersion() if value is None else DataVersion.model_validate(value)


def data_version_channel(key_prefix: str) -> str:
    """The Pub/Sub channel on which writers announce a new data version."""
    return FleetKeys(key_prefix).data_version


def announce_data_version(redis_client: redis.Redis, key_prefix: str) -> None:
    """Tell readers to check the data version now (call after the commit; raises RedisError)."""
    redis_client.publish(data_version_channel(key_prefix), "1")
