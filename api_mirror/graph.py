"""Load docking events together with every row their JSON embeds, in a fixed number of statements.

``load_graphs`` issues one ``SELECT … WHERE id IN (…)`` per table plus one for the spacecraft that
still have an open docking, whatever the number of ids: serving a page of 100 events costs the
same number of round trips as serving one. It never writes and never commits, so the sync's
notification code can use it inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from models.tables import (
    Agency,
    DockingEvent,
    DockingLocation,
    Spacecraft,
    SpacecraftConfig,
    SpacecraftConfigType,
    SpacecraftFlight,
    SpacecraftStatus,
    SpaceStation,
)

RowT = TypeVar("RowT", bound=SQLModel)


@dataclass(frozen=True, slots=True)
class EventGraph:
    """A docking event and the rows it embeds; a missing link or row is ``None``."""

    event: DockingEvent
    flight: SpacecraftFlight | None
    spacecraft: Spacecraft | None
    status: SpacecraftStatus | None
    config: SpacecraftConfig | None
    config_type: SpacecraftConfigType | None
    agency: Agency | None
    location: DockingLocation | None
    location_station: SpaceStation | None
    space_station: SpaceStation | None
    # Whether the spacecraft has any docking event without a departure: its time_docked grows.
    spacecraft_has_open_docking: bool


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})


def _by_id(session: Session, model: type[RowT], ids: list[int]) -> dict[int, RowT]:
    # Issued even for an empty id list so the statement count never depends on the data.
    column: Any = model.id  # type: ignore[attr-defined]
    return {row.id: row for row in session.exec(select(model).where(column.in_(ids)))}  # type: ignore[attr-defined]


def _open_spacecraft(session: Session, spacecraft_ids: list[int]) -> set[int]:
    statement = (
        select(SpacecraftFlight.spacecraft_id)
        .join(DockingEvent, col(DockingEvent.flight_vehicle_id) == col(SpacecraftFlight.id))
        .where(
            col(DockingEvent.departure).is_(None),
            col(SpacecraftFlight.spacecraft_id).in_(spacecraft_ids),
        )
        .distinct()
    )
    return {ident for ident in session.exec(statement) if ident is not None}


def _get(rows: dict[int, RowT], key: int | None) -> RowT | None:
    return None if key is None else rows.get(key)


def load_graphs(session: Session, ids: Sequence[int]) -> list[EventGraph]:
    """The graphs of the events with these ids, in the ids' order (unknown ids are skipped)."""
    if not ids:
        return []
    events = _by_id(session, DockingEvent, _ids(ids))
    flights = _by_id(session, SpacecraftFlight, _ids(e.flight_vehicle_id for e in events.values()))
    craft = _by_id(session, Spacecraft, _ids(f.spacecraft_id for f in flights.values()))
    statuses = _by_id(session, SpacecraftStatus, _ids(c.status_id for c in craft.values()))
    configs = _by_id(
        session, SpacecraftConfig, _ids(c.spacecraft_config_id for c in craft.values())
    )
    types = _by_id(session, SpacecraftConfigType, _ids(c.type_id for c in configs.values()))
    agencies = _by_id(session, Agency, _ids(c.agency_id for c in configs.values()))
    locations = _by_id(
        session, DockingLocation, _ids(e.docking_location_id for e in events.values())
    )
    station_ids = [e.space_station_id for e in events.values()]
    station_ids += [loc.spacestation_id for loc in locations.values()]
    stations = _by_id(session, SpaceStation, _ids(station_ids))
    open_craft = _open_spacecraft(session, list(craft))

    graphs = []
    for ident in ids:
        event = events.get(ident)
        if event is None:
            continue
        flight = _get(flights, event.flight_vehicle_id)
        spacecraft = _get(craft, flight.spacecraft_id) if flight else None
        config = _get(configs, spacecraft.spacecraft_config_id) if spacecraft else None
        location = _get(locations, event.docking_location_id)
        graphs.append(
            EventGraph(
                event=event,
                flight=flight,
                spacecraft=spacecraft,
                status=_get(statuses, spacecraft.status_id) if spacecraft else None,
                config=config,
                config_type=_get(types, config.type_id) if config else None,
                agency=_get(agencies, config.agency_id) if config else None,
                location=location,
                location_station=_get(stations, location.spacestation_id) if location else None,
                space_station=_get(stations, event.space_station_id),
                spacecraft_has_open_docking=spacecraft is not None and spacecraft.id in open_craft,
            )
        )
    return graphs
