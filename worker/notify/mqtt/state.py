"""The retained state, read from the database: stations, their ports and occupants, their last
docking and undocking, and the freshness of the last successful sync.

``read_fleet`` takes one session's view; ``state_messages`` turns it into the retained messages
(topic → JSON text) of ``worker.notify.mqtt.topics``. Each payload's ``state`` is what Home
Assistant shows (at most ``MAX_STATE`` characters; null shows as unknown), the rest are its
attributes. Instants are RFC 3339 UTC (``2024-11-15T18:32:00Z``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from models.ll2.formats import format_instant
from models.ll2.graph import EventGraph, load_embedded
from models.store.docked import Docked, Movements, docked_now, docked_of, last_movements
from models.store.sync_state import LastSuccess, read_record
from models.support.compact_json import compact_json
from worker.notify.mqtt.broker import Message
from worker.notify.mqtt.topics import Topics

# Home Assistant refuses a state longer than this.
MAX_STATE = 255
EMPTY = "empty"


def fit(text: str) -> str:
    """``text`` cut to a state's length (an ellipsis marks the cut)."""
    return text if len(text) <= MAX_STATE else text[: MAX_STATE - 1] + "…"


@dataclass(frozen=True)
class Port:
    """A docking port of a station."""

    id: int
    name: str


@dataclass(frozen=True)
class Station:
    """A station, its ports (by id) and who is docked there now."""

    id: int
    name: str
    ports: tuple[Port, ...]
    docked: tuple[Docked, ...]
    movements: Movements


@dataclass(frozen=True)
class Fleet:
    """Every station, and when a sync last brought the copy up to date (None: never)."""

    stations: tuple[Station, ...]
    last_success: dt.datetime | None
    complete: bool


def read_fleet(session: Session) -> Fleet:
    """The stations known to the database with their ports, occupants and movements."""
    embedded = load_embedded(session.connection())
    docked = docked_now(session)
    movements = last_movements(session)
    success = read_record(session, LastSuccess)
    stations = []
    for station_id, record in sorted(embedded.stations.items()):
        here = tuple(d for d in docked if d.station_id == station_id)
        ports = {
            location.id: Port(location.id, location.name or f"port {location.id}")
            for location in embedded.locations.values()
            if location.spacestation_id == station_id
        }
        for entry in here:  # a port without its station link, named by the event's station
            if entry.port_id is not None and entry.port_id not in ports:
                ports[entry.port_id] = Port(entry.port_id, entry.port)
        stations.append(
            Station(
                station_id,
                record.name or f"station {station_id}",
                tuple(sorted(ports.values(), key=lambda p: (p.name, p.id))),
                here,
                movements.get(station_id, Movements(None, None)),
            )
        )
    return Fleet(tuple(stations), success.at, success.complete)


def _instant(value: dt.datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def occupant(entry: Docked | None) -> dict[str, Any]:
    """A port's payload: its occupant's vehicle (the state), flight, since, agency, event."""
    if entry is None:
        return {
            "state": EMPTY,
            "vehicle": None,
            "flight": None,
            "launch_id": None,
            "since": None,
            "agency": None,
            "event_id": None,
        }
    return {
        "state": fit(entry.vehicle),
        "vehicle": entry.vehicle,
        "flight": entry.flight,
        "launch_id": entry.launch_id,
        "since": format_instant(entry.since),
        "agency": entry.agency,
        "event_id": entry.event_id,
    }


def movement(graph: EventGraph | None, instant: str) -> dict[str, Any]:
    """A last docking's or undocking's payload: its instant (the state), vehicle, port."""
    if graph is None:
        return {
            "state": None,
            "vehicle": None,
            "port": None,
            "flight": None,
            "agency": None,
            "event_id": None,
        }
    entry = docked_of(graph)
    at = graph.event.docking if instant == "docking" else graph.event.departure
    return {
        "state": _instant(at),
        "vehicle": entry.vehicle,
        "port": entry.port,
        "flight": entry.flight,
        "agency": entry.agency,
        "event_id": entry.event_id,
    }


def state_messages(fleet: Fleet, topics: Topics) -> list[Message]:
    """Every retained state message of ``fleet`` (discovery not included)."""
    messages = [
        _retained(
            topics.freshness,
            {"state": _instant(fleet.last_success), "complete": fleet.complete},
        )
    ]
    for station in fleet.stations:
        by_port: dict[int, Docked] = {}
        for entry in station.docked:  # the latest docking wins a port docked twice
            if entry.port_id is not None:
                current = by_port.get(entry.port_id)
                if current is None or (entry.since, entry.event_id) > (
                    current.since,
                    current.event_id,
                ):
                    by_port[entry.port_id] = entry
        for port in station.ports:
            messages.append(
                _retained(topics.port(station.id, port.id), occupant(by_port.get(port.id)))
            )
        vehicles = [
            {"port": entry.port, **{k: v for k, v in occupant(entry).items() if k != "state"}}
            for entry in station.docked
        ]
        messages.append(
            _retained(
                topics.docked(station.id),
                {"state": len(station.docked), "count": len(station.docked), "vehicles": vehicles},
            )
        )
        messages.append(
            _retained(
                topics.last_docking(station.id), movement(station.movements.last_docking, "docking")
            )
        )
        messages.append(
            _retained(
                topics.last_undocking(station.id),
                movement(station.movements.last_undocking, "departure"),
            )
        )
    return messages


def _retained(topic: str, payload: dict[str, Any]) -> Message:
    return Message(topic, compact_json(payload), retain=True)
