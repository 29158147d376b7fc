"""The mirror's read model: each docking event's document, written with the data it renders.

A document (``event_document``) holds an event's template (``models.ll2.template``), what the
list is filtered, searched and ordered by, and what its growing durations count from. Writers
(the sync's store) call ``document_rows`` inside their transaction for every event whose
rendering may have changed, and ``removed_rows`` for deleted ones, and upsert them with the
commit's data version. Readers (the mirror and the offline query API) take what was written after
the version they know (``read_documents``) inside one consistent read
(``models.store.db.consistent_read``), so what they see is one commit's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, select
from sqlmodel import Session

from models.ll2.graph import KnownRecords, load_graphs
from models.ll2.template import growing_durations, render_template
from models.store.tables import EventDocument, table_of

DOCUMENT = table_of(EventDocument)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Events rendered per batch: bounds the graphs held at once and the length of IN lists.
RENDER_BATCH = 500


class Document(NamedTuple):
    """A document's columns, in the order ``read_documents`` selects them (instants in
    microseconds since 1970, as ``epoch_micros`` writes them)."""

    id: int
    version: int
    docking_micros: int | None
    departure_micros: int | None
    space_station_id: int | None
    flight_vehicle_id: int | None
    docking_location_id: int | None
    spacecraft_search: str | None
    time_in_space_seconds: int | None
    time_docked_seconds: int | None
    durations_fetched_micros: int | None
    removed: bool
    template: str | None


_COLUMNS = [DOCUMENT.c[name] for name in Document._fields]


def epoch_micros(moment: dt.datetime) -> int:
    """An aware instant as whole microseconds since 1970 (exact, for ordering and comparing)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _micros(moment: dt.datetime | None) -> int | None:
    return None if moment is None else epoch_micros(moment)


def fold(text: str | None) -> str | None:
    """A name as search compares it: ``str.lower`` (the same on every database)."""
    return None if text is None else text.lower()


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), RENDER_BATCH):
        yield ordered[start : start + RENDER_BATCH]


def document_rows(
    session: Session,
    event_ids: Iterable[int],
    version: int,
    *,
    known: KnownRecords | None = None,
) -> list[dict[str, Any]]:
    """Fresh documents for the stored events among ``event_ids``, at data version ``version``.

    Reads through the caller's session (its transaction, its uncommitted writes); an id with no
    stored event gets no row (``removed_rows`` is for those). ``known`` holds records the
    caller's transaction stored (exactly as stored): they are not read again.
    """
    rows = []
    for batch in _batches(event_ids):
        for graph in load_graphs(session, batch, shared_rows=False, known=known):
            event, craft = graph.event, graph.spacecraft
            in_space, docked, fetched_at = growing_durations(graph)
            rows.append(
                {
                    "id": event.id,
                    "version": version,
                    "docking_micros": epoch_micros(event.docking),
                    "departure_micros": _micros(event.departure),
                    "space_station_id": event.space_station_id,
                    "flight_vehicle_id": event.flight_vehicle_id,
                    "docking_location_id": event.docking_location_id,
                    "spacecraft_search": None if craft is None else fold(craft.name),
                    "time_in_space_seconds": in_space,
                    "time_docked_seconds": docked,
                    "durations_fetched_micros": _micros(fetched_at),
                    "removed": False,
                    "template": render_template(graph),
                }
            )
    return rows


def removed_rows(event_ids: Iterable[int], version: int) -> list[dict[str, Any]]:
    """Tombstones for deleted events at data version ``version`` (every other column cleared)."""
    cleared = dict.fromkeys(name for name in Document._fields if name not in ("id", "version"))
    return [
        {**cleared, "id": ident, "version": version, "removed": True}
        for ident in sorted(set(event_ids))
    ]


def read_documents(
    connection: Connection, *, after_version: int, only: Sequence[int] | None = None
) -> Iterator[Document]:
    """The documents written after ``after_version``, removals included (for 0: every stored
    event's), optionally only those of the events ``only`` names."""
    statement = select(*_COLUMNS)
    if after_version > 0:
        statement = statement.where(DOCUMENT.c.version > after_version)
    else:
        statement = statement.where(DOCUMENT.c.removed.is_(False))
    if only is not None:
        statement = statement.where(DOCUMENT.c.id.in_(list(only)))
    # Streamed in batches: a full read holds one batch of templates at a time, not all at once.
    streamed = statement.execution_options(yield_per=RENDER_BATCH)
    for rows in connection.execute(streamed).partitions():
        for row in rows:
            yield Document._make(row)
