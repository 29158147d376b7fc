"""Load docking events together with every row their JSON embeds, in a fixed number of statements.

``load_graphs`` issues one ``SELECT … WHERE id IN (…)`` per table plus one for the spacecraft that
still have an open docking, whatever the number of ids: serving a page of 100 events costs the
same number of round trips as serving one. The rows are read with Core into the light records of
``models.ll2.records`` (the mirror only reads them; ORM entities cost most of a page's time). It
never writes and never commits, so the sync's
notification code can use it inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, select
from sqlmodel import Session

from models.ll2.records import (
    AgencyRecord,
    ConfigRecord,
    ConfigTypeRecord,
    EmbeddedRows,
    EventRecord,
    FlightRecord,
    LocationRecord,
    SpacecraftRecord,
    StationRecord,
    StatusRecord,
    columns_of,
    table_of,
)
from models.store.membership import IDS, among

RecordT = TypeVar("RecordT")


@dataclass(frozen=True, slots=True)
class EventGraph:
    """A docking event and the rows it embeds; a missing link or row is ``None``."""

    event: EventRecord
    flight: FlightRecord | None
    spacecraft: SpacecraftRecord | None
    status: StatusRecord | None
    config: ConfigRecord | None
    config_type: ConfigTypeRecord | None
    agency: AgencyRecord | None
    location: LocationRecord | None
    location_station: StationRecord | None
    space_station: StationRecord | None
    # Whether the spacecraft has any docking event without a departure: its time_docked grows.
    spacecraft_has_open_docking: bool


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})


# Per record type: its SELECT (columns in the record's order) and how to filter it by ids.
_SELECTS: dict[type[Any], tuple[Select[Any], Callable[[list[int]], Any]]] = {
    record: (select(*columns_of(record)), table_of(record).c.id.in_)
    for record in (
        AgencyRecord,
        ConfigRecord,
        ConfigTypeRecord,
        EventRecord,
        FlightRecord,
        LocationRecord,
        SpacecraftRecord,
        StationRecord,
        StatusRecord,
    )
}
_FLIGHT = table_of(FlightRecord)
_EVENT = table_of(EventRecord)
_OPEN_SPACECRAFT = (
    select(_FLIGHT.c.spacecraft_id)
    .join(_EVENT, _EVENT.c.flight_vehicle_id == _FLIGHT.c.id)
    .where(_EVENT.c.departure.is_(None))
    .distinct()
)


def _by_id(connection: Connection, record: type[RecordT], ids: list[int]) -> dict[int, RecordT]:
    # Issued even for an empty id list so the statement count never depends on the data.
    # Core rows, not ORM entities: the records are built straight from the tuples.
    statement, in_ids = _SELECTS[record]
    make: Callable[[Iterable[Any]], RecordT] = record._make  # type: ignore[attr-defined]
    return {row[0]: make(row) for row in connection.execute(statement.where(in_ids(ids)))}


@dataclass(frozen=True, slots=True)
class KnownRecords:
    """Records a writer already holds exactly as its transaction stored them, by id: the graphs
    take them instead of reading them again (only the ids missing here are selected)."""

    events: dict[int, EventRecord]
    flights: dict[int, FlightRecord]
    spacecraft: dict[int, SpacecraftRecord]


def _by_id_known(
    connection: Connection, record: type[RecordT], ids: list[int], known: dict[int, RecordT] | None
) -> dict[int, RecordT]:
    """``_by_id`` for the ids not in ``known`` (no statement when every id is known; with no
    ``known`` at all, always one, as ``_by_id``)."""
    if known is None:
        return _by_id(connection, record, ids)
    missing = [ident for ident in ids if ident not in known]
    found = {ident: known[ident] for ident in ids if ident in known}
    if missing:
        found.update(_by_id(connection, record, missing))
    return found


# One statement per database, built once (the ids are its ``ids`` parameter).
_OPEN_AMONG = {
    dialect: _OPEN_SPACECRAFT.where(among(_FLIGHT.c.spacecraft_id, dialect))
    for dialect in ("postgresql", "sqlite")
}


def _open_spacecraft(connection: Connection, spacecraft_ids: list[int]) -> set[int]:
    statement = _OPEN_AMONG[connection.dialect.name]
    rows = connection.execute(statement, {IDS: spacecraft_ids})
    return {ident for (ident,) in rows if ident is not None}


def _get(rows: dict[int, RecordT], key: int | None) -> RecordT | None:
    return None if key is None else rows.get(key)


def load_embedded(connection: Connection) -> EmbeddedRows:
    """Every status, config, config type, agency, location and station (rows events share).

    These tables are small (tens to hundreds of rows, whatever the number of events): six
    statements, whatever the data.
    """

    def every(record: type[RecordT]) -> dict[int, RecordT]:
        statement, _ = _SELECTS[record]
        make: Callable[[Iterable[Any]], RecordT] = record._make  # type: ignore[attr-defined]
        return {row[0]: make(row) for row in connection.execute(statement)}

    return EmbeddedRows(
        statuses=every(StatusRecord),
        configs=every(ConfigRecord),
        config_types=every(ConfigTypeRecord),
        agencies=every(AgencyRecord),
        locations=every(LocationRecord),
        stations=every(StationRecord),
    )


def load_graphs(
    session: Session,
    ids: Sequence[int],
    *,
    shared_rows: bool = True,
    known: KnownRecords | None = None,
) -> list[EventGraph]:
    """The graphs of the events with these ids, in the ids' order (unknown ids are skipped).

    With ``shared_rows=False`` the rows other events share by id (status, config with its type
    and agency, location, stations) are not read and stay ``None``: four statements instead of
    ten, for templates (``models.ll2.template``), which only refer to those rows by id.
    ``known`` events, flights and spacecraft are taken as they are, not selected: a writer
    passes the rows its transaction just wrote (they must be exactly what it stored).
    """
    if not ids:
        return []
    connection = session.connection()
    events = _by_id_known(
        connection, EventRecord, _ids(ids), None if known is None else known.events
    )
    flight_ids = _ids(e.flight_vehicle_id for e in events.values())
    flights = _by_id_known(
        connection, FlightRecord, flight_ids, None if known is None else known.flights
    )
    craft_ids = _ids(f.spacecraft_id for f in flights.values())
    craft = _by_id_known(
        connection, SpacecraftRecord, craft_ids, None if known is None else known.spacecraft
    )
    statuses: dict[int, StatusRecord] = {}
    configs: dict[int, ConfigRecord] = {}
    types: dict[int, ConfigTypeRecord] = {}
    agencies: dict[int, AgencyRecord] = {}
    locations: dict[int, LocationRecord] = {}
    stations: dict[int, StationRecord] = {}
    if shared_rows:
        statuses = _by_id(connection, StatusRecord, _ids(c.status_id for c in craft.values()))
        configs = _by_id(
            connection, ConfigRecord, _ids(c.spacecraft_config_id for c in craft.values())
        )
        types = _by_id(connection, ConfigTypeRecord, _ids(c.type_id for c in configs.values()))
        agencies = _by_id(connection, AgencyRecord, _ids(c.agency_id for c in configs.values()))
        locations = _by_id(
            connection, LocationRecord, _ids(e.docking_location_id for e in events.values())
        )
        station_ids = [e.space_station_id for e in events.values()]
        station_ids += [loc.spacestation_id for loc in locations.values()]
        stations = _by_id(connection, StationRecord, _ids(station_ids))
    open_craft = _open_spacecraft(connection, list(craft))

    graphs = []
    for ident in ids:
        event = events.get(ident)
        if event is None:
            continue
        flight = _get(flights, event.flight_vehicle_id)
        spacecraft = _get(craft, flight.spacecraft_id) if flight is not None else None
        config = _get(configs, spacecraft.spacecraft_config_id) if spacecraft is not None else None
        location = _get(locations, event.docking_location_id)
        graphs.append(
            EventGraph(
                event=event,
                flight=flight,
                spacecraft=spacecraft,
                status=_get(statuses, spacecraft.status_id) if spacecraft is not None else None,
                config=config,
                config_type=_get(types, config.type_id) if config is not None else None,
                agency=_get(agencies, config.agency_id) if config is not None else None,
                location=location,
                location_station=_get(stations, location.spacestation_id)
                if location is not None
                else None,
                space_station=_get(stations, event.space_station_id),
                spacecraft_has_open_docking=spacecraft is not None and spacecraft.id in open_craft,
            )
        )
    return graphs
