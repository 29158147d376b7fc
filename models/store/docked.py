"""Who is docked where now: the open docking events (no departure), per station and port.

Shared by the mirror's live page and the MQTT publisher. One read: the ids of the open events,
then their graphs in the fixed number of statements ``load_graphs`` costs, whatever their number.
``last_movements`` finds each station's latest docking and undocking the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models.ll2.graph import EventGraph, load_graphs
from models.store.tables import DockingEvent, DockingLocation, table_of

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Docked:
    """One spacecraft docked now: where, what, since when (aware UTC), and its event's id.

    ``station_id`` and ``port_id`` are None when the event names no station or port; ``flight``
    is the flight vehicle's id, ``agency`` the spacecraft's operator (None when unknown).
    """

    event_id: int
    station: str
    port: str
    vehicle: str
    since: dt.datetime
    station_id: int | None = None
    port_id: int | None = None
    flight: int | None = None
    launch_id: str | None = None
    agency: str | None = None


def placement(graph: EventGraph) -> tuple[str, str, str]:
    """An event's station, port and vehicle names (``unknown`` for a missing one)."""
    station = graph.space_station or graph.location_station
    vehicle = graph.spacecraft.name if graph.spacecraft else None
    return (
        (station.name if station else None) or UNKNOWN,
        (graph.location.name if graph.location else None) or UNKNOWN,
        vehicle or UNKNOWN,
    )


def station_id_of(graph: EventGraph) -> int | None:
    """The id of the station an event is at (its own link first, then its port's)."""
    station = graph.space_station or graph.location_station
    return station.id if station else None


def docked_of(graph: EventGraph) -> Docked:
    """The event as a ``Docked`` (its departure, if any, is not looked at)."""
    station, port, vehicle = placement(graph)
    return Docked(
        graph.event.id,
        station,
        port,
        vehicle,
        graph.event.docking,
        station_id=station_id_of(graph),
        port_id=graph.location.id if graph.location else None,
        flight=graph.flight.id if graph.flight else None,
        launch_id=graph.event.launch_id,
        agency=graph.agency.name if graph.agency else None,
    )


def docked_now(session: Session) -> list[Docked]:
    """The open events, ordered by station, port and docking instant."""
    query = select(DockingEvent.id).where(col(DockingEvent.departure).is_(None))
    graphs = load_graphs(session, list(session.exec(query)))
    return sorted(map(docked_of, graphs), key=lambda d: (d.station, d.port, d.since, d.event_id))


@dataclass(frozen=True, slots=True)
class Movements:
    """A station's latest docking and latest undocking (their events), None when it has none."""

    last_docking: EventGraph | None
    last_undocking: EventGraph | None


def last_movements(session: Session) -> dict[int, Movements]:
    """Per station id: its latest docking (by docking instant) and undocking (by departure).

    One light read of every event's instants and links, then the graphs of at most two events
    per station. Ties go to the higher event id.
    """
    connection = session.connection()
    events, ports = table_of(DockingEvent), table_of(DockingLocation)
    rows = connection.execute(
        core_select(
            events.c.id,
            events.c.docking,
            events.c.departure,
            events.c.space_station_id,
            events.c.docking_location_id,
        )
    ).all()
    port_station: dict[int, int | None] = {
        row[0]: row[1]
        for row in connection.execute(core_select(ports.c.id, ports.c.spacestation_id))
    }
    docking: dict[int, tuple[dt.datetime, int]] = {}
    undocking: dict[int, tuple[dt.datetime, int]] = {}
    for ident, docked_at, departed_at, station_id, port_id in rows:
        station = station_id if station_id is not None else port_station.get(port_id)
        if station is None:
            continue
        if station not in docking or (docked_at, ident) > docking[station]:
            docking[station] = (docked_at, ident)
        if departed_at is not None and (
            station not in undocking or (departed_at, ident) > undocking[station]
        ):
            undocking[station] = (departed_at, ident)
    wanted = sorted({i for _, i in docking.values()} | {i for _, i in undocking.values()})
    graphs = {graph.event.id: graph for graph in load_graphs(session, wanted)}
    return {
        station: Movements(
            graphs.get(docking[station][1]) if station in docking else None,
            graphs.get(undocking[station][1]) if station in undocking else None,
        )
        for station in sorted(set(docking) | set(undocking))
    }
