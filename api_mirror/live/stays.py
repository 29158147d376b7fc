"""Who was docked where, and for how long: the stays that overlap a window ending now.

A stay is one docking event seen as a bar: from its docking to its departure, or to now while it
has none. The live page's timeline draws them (``api_mirror.live.timeline``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from models.ll2.graph import load_graphs
from models.store.docked import placement
from models.store.tables import DockingEvent


@dataclass(frozen=True, slots=True)
class Stay:
    """One docking event: where, what, from ``docking`` to ``departure`` (None: still docked).

    Instants are aware UTC.
    """

    event_id: int
    station: str
    port: str
    vehicle: str
    docking: dt.datetime
    departure: dt.datetime | None


def stays_since(session: Session, start: dt.datetime | None) -> list[Stay]:
    """The stays still open or departed after ``start`` (every stay for None).

    Ordered by station, port and docking instant.
    """
    query = select(DockingEvent.id)
    if start is not None:
        departure = col(DockingEvent.departure)
        query = query.where(or_(departure.is_(None), departure > start))
    stays = []
    for graph in load_graphs(session, list(session.exec(query))):
        station, port, vehicle = placement(graph)
        event = graph.event
        stays.append(Stay(event.id, station, port, vehicle, event.docking, event.departure))
    return sorted(stays, key=lambda s: (s.station, s.port, s.docking, s.event_id))
