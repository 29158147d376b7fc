"""The serving process's snapshot of the data, kept current.

``Snapshots.current`` is the snapshot requests start from; it only ever moves to a newer data
version, built inside one consistent read (``refresh``), never per request: the watcher
(``api_mirror.read.watcher``) calls ``refresh`` when a writer's hint arrives and at a fixed
interval, and the app before its first request. A request answers from its snapshot alone (it
holds every event's compiled body), so no request reads the database.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from api_mirror.read.snapshot import Snapshot, load_snapshot
from models.store.data_version import data_version_at
from models.store.db import consistent_read


class Snapshots:
    """The current snapshot of ``engine``'s data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Snapshot | None:
        """The newest snapshot built so far (None before the first)."""
        return self._current

    def refresh(self) -> Snapshot:
        """Bring the snapshot up to the data's current version (one consistent read; a
        handful of rows when nothing changed) and return it. Raises what the database raises
        (``sqlalchemy.exc.SQLAlchemyError``); the current snapshot then stays as it was."""
        with self._lock, consistent_read(self.engine) as connection:
            current = self._current
            version = data_version_at(connection)
            if current is not None and version.number < current.version:
                return current  # an older read (a replica lagging): keep the newer snapshot
            self._current = load_snapshot(connection, current, version=version)
            return self._current
