"""Keeping the mirror's documents in step with the data, inside the page's transaction.

A write can change the rendering of more events than it names: a spacecraft's fields, its
durations and whether it has a docking without a departure are rendered into every event of
that spacecraft, and a flight's into every event of that flight. So after a page is applied the
documents of the events written, and of every event of the spacecraft written and of the
already stored flights written (or left by a moved event), are rendered again with the commit's
data version (a flight new to the mirror has only the page's events, which are written); after
a deletion the deleted events get tombstones and the other events of their spacecraft are
rendered again. Rows other events share by id (statuses, configs with their type and agency,
locations, stations) are rendered by the readers at the same data version, so their changes
touch no document.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from models.ll2.graph import KnownRecords
from models.ll2.records import EventRecord, FlightRecord, columns_of
from models.store.membership import among
from models.store.read_model import document_rows, removed_rows
from models.store.tables import DockingEvent, EventDocument, SpacecraftFlight, table_of
from worker.sync.rows import upsert_rows

_EVENT = table_of(DockingEvent)
_FLIGHT = table_of(SpacecraftFlight)


def spacecraft_of_events(session: Session, event_ids: Iterable[int]) -> set[int]:
    """The spacecraft the stored events fly (through their flight)."""
    ids = list(event_ids)
    if not ids:
        return set()
    statement = (
        select(_FLIGHT.c.spacecraft_id)
        .join(_EVENT, _EVENT.c.flight_vehicle_id == _FLIGHT.c.id)
        .where(_EVENT.c.id.in_(ids), _FLIGHT.c.spacecraft_id.is_not(None))
    )
    return set(session.connection().execute(statement).scalars())


def events_embedding(
    session: Session, *, flights: Iterable[int], spacecraft: Iterable[int]
) -> set[int]:
    """Every stored event of these flights, or of any flight of these spacecraft (or of the
    flights' own spacecraft: a docking moved to another flight changes both spacecraft).

    Three indexed lookups (flight ids, spacecraft ids, event ids): the cost follows the rows
    found, not the size of the tables.
    """
    return set(embedding_records(session, flights=flights, spacecraft=spacecraft).events)


def embedding_records(
    session: Session, *, flights: Iterable[int], spacecraft: Iterable[int]
) -> KnownRecords:
    """``events_embedding`` with the stored records it found: those events and the flights of
    the spacecraft (``spacecraft`` left empty), as the transaction now stores them."""
    connection = session.connection()
    dialect = connection.dialect.name
    flight_ids = set(flights)
    craft_ids = set(spacecraft)
    found = KnownRecords({}, {}, {})
    if flight_ids:
        owners = select(_FLIGHT.c.spacecraft_id).where(among(_FLIGHT.c.id, dialect, flight_ids))
        craft_ids |= {ident for ident in connection.execute(owners).scalars() if ident is not None}
    if craft_ids:
        flown = select(*columns_of(FlightRecord)).where(
            among(_FLIGHT.c.spacecraft_id, dialect, craft_ids)
        )
        found.flights.update((row[0], FlightRecord._make(row)) for row in connection.execute(flown))
        flight_ids |= set(found.flights)
    if not flight_ids:
        return found
    events = select(*columns_of(EventRecord)).where(
        among(_EVENT.c.flight_vehicle_id, dialect, flight_ids)
    )
    found.events.update((row[0], EventRecord._make(row)) for row in connection.execute(events))
    return found


def refresh_documents(
    session: Session, event_ids: Iterable[int], version: int, *, known: KnownRecords | None = None
) -> int:
    """Render the stored events among ``event_ids`` again at ``version``; returns how many.

    ``known``: records this transaction stored, used instead of reading them again.
    """
    rows = document_rows(session, event_ids, version, known=known)
    upsert_rows(session, EventDocument, rows)
    return len(rows)


def remove_documents(session: Session, event_ids: Iterable[int], version: int) -> None:
    """Tombstones for deleted events at ``version``."""
    upsert_rows(session, EventDocument, removed_rows(event_ids, version))
