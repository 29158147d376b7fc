"""The mirror's snapshot: every docking event's filter, search and ordering keys at a version.

A ``Snapshot`` is immutable: it is built (``load_snapshot``) inside one consistent read of the
documents (``models.store.read_model``), the rows events share and the data version, so everything
it says is one commit's. The next one is built from the previous one and the documents written after
its version, so a sync page costs a reader a handful of rows, not a reload. Requests read the
snapshot current when they start and answer from it alone: count, ids, links and bodies agree.

Memory: one ``Entry`` per event (about 500 bytes with its values and its places in the dict
and the list) plus the orderings and selections computed from them (8 bytes per event each,
bounded: ``SELECTION_REFERENCES``).
The event bodies are not here but in the template cache (``api_mirror.read.templates``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

from sqlalchemy import Connection

from api_mirror.read.templates import Ends, compile_fragments
from models.ll2.graph import load_embedded
from models.ll2.template import render_fragments
from models.store.data_version import data_version_at
from models.store.read_model import Document, fold, read_documents
from models.store.sync_state import DataVersion

# Selections kept per snapshot, counted in event references (8 bytes each): 16 MiB at most.
SELECTION_REFERENCES = 2_000_000
# Link styles whose compiled fragments a snapshot keeps (a suffix route takes any ?format=).
FRAGMENT_STYLES = 16


class Entry(NamedTuple):
    """One event as the snapshot knows it: a document's first fields, as read.

    ``docking``/``departure`` are microseconds since 1970 (``departure`` None while docked),
    ``craft_name`` is folded for search (``models.store.read_model.fold``), ``doc_version`` names
    the template to serve, and ``in_space``/``docked``/``durations_at`` are what the template's
    growing durations count from (seconds; microseconds since 1970).
    """

    id: int
    doc_version: int
    docking: int
    departure: int | None
    station_id: int | None
    flight_id: int | None
    location_id: int | None
    craft_name: str | None
    in_space: int | None
    docked: int | None
    durations_at: int | None


_ENTRY_FIELDS = len(Entry._fields)


class Snapshot:
    """Every event's keys, the shared rows' fragments and names, at data version ``version``.

    ``entries`` maps id to entry; ``by_id`` lists them by id (the default order);
    ``fragments`` maps a template ref (``"c25"``) to its (normal, detailed) JSON text with url
    ends marked; ``station_names``/``location_names`` are folded for search. ``cached`` keeps
    what requests compute from the snapshot (orderings, selections), bounded.
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
        self._cache: OrderedDict[Hashable, list[Entry]] = OrderedDict()
        self._cached_references = 0
        self._styles: OrderedDict[Ends, tuple[dict[str, bytes], dict[str, bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    def compiled_fragments(self, ends: Ends, *, detailed: bool) -> dict[str, bytes]:
        """The shared rows' JSON by ref, in one mode, with url ends written for a link style."""
        with self._lock:
            found = self._styles.get(ends)
            if found is not None:
                self._styles.move_to_end(ends)
        if found is None:
            found = compile_fragments(self.fragments, ends)
            with self._lock:
                self._styles[ends] = found
                while len(self._styles) > FRAGMENT_STYLES:
                    self._styles.popitem(last=False)
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
    on_document: Callable[[Document], None] | None = None,
    only: list[int] | None = None,
) -> Snapshot:
    """The snapshot of the data ``connection`` sees (give it a consistent read).

    Built from ``previous`` and the documents written after its version (from every document
    when there is none, or when ``previous`` is newer than the data); ``previous`` itself when
    the version has not moved. ``version`` is the data version if the caller read it already;
    ``on_document`` sees every document read (the template cache takes their templates);
    ``only`` restricts a fresh snapshot to these events (a detail lookup).
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
            entries[document.id] = Entry._make(document[:_ENTRY_FIELDS])
        if on_document is not None:
            on_document(document)
    embedded = load_embedded(connection)
    return Snapshot(
        version=version.number,
        changed_at=version.changed_at,
        entries=entries,
        fragments=render_fragments(embedded),
        station_names=_names(embedded.stations.values()),
        location_names=_names(embedded.locations.values()),
    )
