"""Who is docked where now: the open docking events (no departure), per station and port.

One read for the live page: the ids of the open events, then their graphs in the fixed number
of statements ``load_graphs`` costs, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.ll2.graph import EventGraph, load_graphs
from models.store.tables import DockingEvent

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Docked:
    """One spacecraft docked now: where, what, since when (aware UTC), and its event's id."""

    event_id: int
    station: str
    port: str
    vehicle: str
    since: dt.datetime


def placement(graph: EventGraph) -> tuple[str, str, str]:
    """An event's station, port and vehicle names (``unknown`` for a missing one)."""
    station = graph.space_station or graph.location_station
    vehicle = graph.spacecraft.name if graph.spacecraft else None
    return (
        (station.name if station else None) or UNKNOWN,
        (graph.location.name if graph.location else None) or UNKNOWN,
        vehicle or UNKNOWN,
    )


def _docked(graph: EventGraph) -> Docked:
    station, port, vehicle = placement(graph)
    return Docked(graph.event.id, station, port, vehicle, graph.event.docking)


def docked_now(session: Session) -> list[Docked]:
    """The open events, ordered by station, port and docking instant."""
    query = select(DockingEvent.id).where(col(DockingEvent.departure).is_(None))
    graphs = load_graphs(session, list(session.exec(query)))
    return sorted(map(_docked, graphs), key=lambda d: (d.station, d.port, d.since, d.event_id))
