"""A stalled Redis must not hold SQLite's write lock long enough to fail other writers.

The relay takes ``BEGIN IMMEDIATE`` before its ``XADD``: while Redis stalls, every other SQLite
writer (a sync page commit) waits up to the busy timeout, then fails with "database is locked".
The worker's Redis client must therefore give up well before that.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from models.fleet.redis_client import REDIS_SOCKET_TIMEOUT_SECONDS
from models.store.db import SQLITE_BUSY_TIMEOUT_SECONDS, make_engine
from tests.cli_helpers import REDIS_URL
from worker.bootstrap import connect_redis


def test_the_worker_redis_client_gives_up_well_before_sqlite_writers_do(tmp_path: Path) -> None:
    client = connect_redis(REDIS_URL)
    try:
        configured = client.connection_pool.connection_kwargs["socket_timeout"]
    finally:
        client.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    try:
        with engine.connect() as connection:
            busy_ms = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        engine.dispose()

    assert configured == REDIS_SOCKET_TIMEOUT_SECONDS
    assert busy_ms == SQLITE_BUSY_TIMEOUT_SECONDS * 1000
    assert configured * 2 <= SQLITE_BUSY_TIMEOUT_SECONDS
