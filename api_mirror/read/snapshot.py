"""The mirror's snapshot: every docking event at one data version, keys and compiled body.

A ``Snapshot`` is immutable and holds everything a request needs: each event's filter, search and
ordering keys, its compiled body (``api_mirror.read.compiled``: both modes, every link style) and
the shared rows' fragments. It is built (``load_snapshot``) inside one consistent read of the
documents (``models.store.read_model``), the rows events share and the data version, so everything
it says is one commit's. The next one is built from the previous one and the documents written
after its version, so a sync page costs a reader a handful of rows, not a reload. Requests read
the snapshot current when they start and answer from it alone, without the database: count, ids,
links and bodies agree.

Memory: an event's compiled body is its template's bytes (about 750 bytes), its keys about 300
more, plus the orderings and selections computed from them (8 bytes per event
each, bounded: ``SELECTION_REFERENCES``).
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from api_mirror.read.compiled import (
    DEFAULT_ENDS,
    Ends,
    compile_fragments,
    compile_template,
)
from models.ll2.graph import load_embedded
from models.ll2.template import render_fragments
from models.store.data_version import data_version_at
from models.store.read_model import Document, fold, read_documents
from models.store.sync_state import DataVersion

# Selections kept per snapshot, counted in event references (8 bytes each): 16 MiB at most.
SELECTION_REFERENCES = 2_000_000


@dataclass(frozen=True, slots=True)
class Entry:
    """One event as the snapshot knows it.

    ``docking``/``departure`` are microseconds since 1970 (``departure`` None while docked),
    ``craft_name`` is folded for search (``models.store.read_model.fold``), ``in_space``/
    ``docked``/``durations_at`` are what the body's growing durations count from (seconds;
    microseconds since 1970), ``body`` the compiled body (``api_mirror.read.compiled``; None in
    a snapshot built without bodies, for the offline query API, which renders from rows).
    """

    id: int
    docking: int
    departure: int | None
    station_id: int | None
    flight_id: int | None
    location_id: int | None
    craft_name: str | None
    in_space: int | None
    docked: int | None
    durations_at: int | None
    body: bytes | None

    @classmethod
    def of(cls, document: Document, *, with_body: bool) -> Entry:
        """The entry of a stored (not removed) document; raises ValueError for a document
        without a template when ``with_body``."""
        body = None
        if with_body:
            if document.template is None:
                raise ValueError(f"event {document.id}: the document has no template")
            body = compile_template(document.template)
        craft = document.spacecraft_search
        if document.docking_micros is None:
            raise ValueError(f"event {document.id}: the document has no docking instant")
        return cls(
            id=document.id,
            docking=document.docking_micros,
            departure=document.departure_micros,
            station_id=document.space_station_id,
            flight_id=document.flight_vehicle_id,
            location_id=document.docking_location_id,
            # Interned: the events of one spacecraft share its name.
            craft_name=None if craft is None else sys.intern(craft),
            in_space=document.time_in_space_seconds,
            docked=document.time_docked_seconds,
            durations_at=document.durations_fetched_micros,
            body=body,
        )


class Snapshot:
    """Every event at data version ``version``, and the shared rows' fragments and names.

    ``entries`` maps id to entry; ``by_id`` lists them by id (the default order);
    ``fragments`` maps a ref (``"c25"``) to its (normal, detailed) JSON text with url ends
    marked; ``station_names``/``location_names`` are folded for search. ``cached`` keeps what
    requests compute from the snapshot (orderings, selections), bounded.
    """

    def __init__(
        self,
        version: int,
        changed_at: dt.datetime | None,
        entries: dict[int, Entry],
        fragments: dict[str, tuple[str, str]],
        station_names: dict[int, str | None],
        location_names: dict[int, str | None],
    ) -> None:
        self.version = version
        self.changed_at = changed_at
        self.entries = entries
        self.by_id: list[Entry] = [entries[key] for key in sorted(entries)]
        self.fragments = fragments
        self.station_names = station_names
        self.location_names = location_names
        self._default_fragments = compile_fragments(fragments, DEFAULT_ENDS)
        self._cache: OrderedDict[Hashable, list[Entry]] = OrderedDict()
        self._cached_references = 0
        self._lock = threading.Lock()

    def compiled_fragments(self, ends: Ends, *, detailed: bool) -> dict[bytes, bytes]:
        """The shared rows' JSON by ref, in one mode, with url ends written for a link style
        (kept for the plain style; another style's, a few hundred short texts, written per call:
        its answers are kept whole at the edge)."""
        found = self._default_fragments
        if ends != DEFAULT_ENDS:
            found = compile_fragments(self.fragments, ends)
        return found[1] if detailed else found[0]

    def cached(self, key: Hashable, compute: Callable[[], list[Entry]]) -> list[Entry]:
        """``compute()`` once per key while it stays among the recently used (a bounded LRU)."""
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        value = compute()
        with self._lock:
            if key not in self._cache and len(value) <= SELECTION_REFERENCES:
                self._cache[key] = value
                self._cached_references += len(value)
                while self._cached_references > SELECTION_REFERENCES:
                    _, evicted = self._cache.popitem(last=False)
                    self._cached_references -= len(evicted)
        return value


def _names(rows: Iterable[Any]) -> dict[int, str | None]:
    return {row.id: fold(row.name) for row in rows}


def load_snapshot(
    connection: Connection,
    previous: Snapshot | None = None,
    *,
    version: DataVersion | None = None,
    only: list[int] | None = None,
    with_bodies: bool = True,
) -> Snapshot:
    """The snapshot of the data ``connection`` sees (give it a consistent read).

    Built from ``previous`` and the documents written after its version (from every document
    when there is none, or when ``previous`` is newer than the data); ``previous`` itself when
    the version has not moved. ``version`` is the data version if the caller read it already;
    ``only`` restricts a fresh snapshot to these events (a detail lookup); ``with_bodies=False``
    leaves the bodies out (``Entry.body`` None), for callers that render from rows. Raises
    ValueError for a stored document without its template or docking instant.
    """
    if version is None:
        version = data_version_at(connection)
    if previous is not None and previous.version == version.number and previous.version > 0:
        return previous
    incremental = previous is not None and 0 < previous.version <= version.number
    entries = dict(previous.entries) if previous is not None and incremental else {}
    after = previous.version if previous is not None and incremental else 0
    for document in read_documents(connection, after_version=after, only=only):
        if document.removed:
            entries.pop(document.id, None)
        else:
            entries[document.id] = Entry.of(document, with_body=with_bodies)
    embedded = load_embedded(connection)
    return Snapshot(
        version=version.number,
        changed_at=version.changed_at,
        entries=entries,
        fragments=render_fragments(embedded),
        station_names=_names(embedded.stations.values()),
        location_names=_names(embedded.locations.values()),
    )
