"""A year of docking traffic for the freshness benchmark: background history plus scripted changes.

The background is ``generate_history`` as of the year's start (about 650 events, a few of them
still docked). On top of it come visiting vehicles at the ISS and the Tiangong station: crew
ships (Soyuz, Crew Dragon, Shenzhou), cargo ships (Progress, Cargo Dragon, Cygnus, Tianzhou) and
short private missions, with their typical stays, some moved between ports (an undocking and a
new docking 20-45 minutes apart, as relocations are). Every docking and undocking is a
``ScriptedChange`` at its own instant (seconds included, so nothing lines up with a schedule).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from fake_upstream import LOCATIONS, Event, generate_history, make_event

YEAR = timedelta(days=365)
ISS, TIANGONG = 4, 18
STATION_NAMES = {ISS: "ISS", TIANGONG: "Tiangong"}
DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Mission:
    """A kind of visit: its vehicle config, station, stay and how often it moves port."""

    name: str
    config_id: int
    station: int
    stay_days: tuple[float, float]
    relocation_share: float
    weight: float


MISSIONS = (
    Mission("Soyuz MS", 1, ISS, (175, 205), 0.6, 2),
    Mission("Progress MS", 2, ISS, (90, 190), 0.1, 4),
    Mission("Crew Dragon", 6, ISS, (120, 180), 0.6, 2),
    Mission("Crew Dragon (private)", 6, ISS, (10, 20), 0.0, 1),
    Mission("Cargo Dragon", 7, ISS, (28, 40), 0.2, 3),
    Mission("Cygnus", 9, ISS, (60, 120), 0.0, 2),
    Mission("Shenzhou", 18, TIANGONG, (150, 190), 0.3, 2),
    Mission("Tianzhou", 25, TIANGONG, (150, 300), 0.0, 1.5),
)


@dataclass(frozen=True)
class ScriptedChange:
    """One upstream change: an event appears (``dock``) or gets its departure (``undock``)."""

    at: datetime
    kind: Literal["dock", "undock"]
    event_id: int
    station: int
    event: Event | None = None  # the new event, for a docking
    final: bool = True  # an undocking that ends the flight (not a port move)


@dataclass
class YearHistory:
    """The background events, the year's scripted changes (by instant) and the year's bounds."""

    background: list[Event]
    changes: list[ScriptedChange]
    start: datetime
    end: datetime
    missions: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, station: int | None = None) -> int:
        """Changes of ``kind`` inside the year (optionally at one station)."""
        return sum(
            1
            for c in self.changes
            if c.kind == kind and c.at < self.end and (station is None or c.station == station)
        )


def _ports(station: int) -> list[int]:
    return sorted(loc for loc, (_, sid) in LOCATIONS.items() if sid == station)


def _station_of(event: Event) -> int:
    return int(event["space_station"]["id"])


class _Planner:
    """Draws visits, free ports and ids; deterministic for a seed."""

    def __init__(self, rng: random.Random, start: datetime, first_id: int) -> None:
        self.rng = rng
        self.start = start
        self.next_id = first_id
        self.next_object = 900_000  # spacecraft / flight ids far from the background's
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}
        self.changes: list[ScriptedChange] = []

    def port(self, station: int, begin: datetime, end: datetime) -> int:
        ports = _ports(station)
        free = [p for p in ports if all(end <= b or e <= begin for b, e in self.busy.get(p, []))]
        choice = self.rng.choice(free or ports)
        self.busy.setdefault(choice, []).append((begin, end))
        return choice

    def visit(self, mission: Mission, arrival: datetime, counter: int) -> None:
        stay = timedelta(days=self.rng.uniform(*mission.stay_days))
        departure = (arrival + stay).replace(microsecond=0)
        craft, flight = self.next_object, self.next_object + 1
        self.next_object += 2
        name = f"{mission.name} {counter}"
        legs = [(arrival, departure)]
        if self.rng.random() < mission.relocation_share:
            moved = arrival + stay * self.rng.uniform(0.15, 0.85)
            moved = moved.replace(microsecond=0)
            back = moved + timedelta(minutes=self.rng.uniform(20, 45))
            legs = [(arrival, moved), (back.replace(microsecond=0), departure)]
        for number, (docking, leaving) in enumerate(legs):
            event_id = self.next_id
            self.next_id += 1
            location = self.port(mission.station, docking, leaving)
            event = make_event(
                event_id,
                docking,
                location_id=location,
                config_id=mission.config_id,
                spacecraft_id=craft,
                spacecraft_name=name,
                flight_id=flight,
                now=docking,
            )
            self.changes.append(
                ScriptedChange(docking, "dock", event_id, mission.station, event=event)
            )
            final = number == len(legs) - 1
            self.changes.append(
                ScriptedChange(leaving, "undock", event_id, mission.station, final=final)
            )


def _arrivals(rng: random.Random, start: datetime, count: int) -> list[datetime]:
    """Arrival instants spread over the year, at least a day apart (second resolution)."""
    span = (YEAR - timedelta(days=5)).total_seconds()
    chosen: list[datetime] = []
    while len(chosen) < count:
        candidate = start + timedelta(seconds=int(rng.uniform(3600, span)))
        if all(abs((candidate - other).total_seconds()) >= 86400 for other in chosen):
            chosen.append(candidate)
    return sorted(chosen)


def build_year(
    *,
    seed: int = 7,
    start: datetime = DEFAULT_START,
    background: int = 650,
    background_open: int = 10,
    min_dockings: int = 40,
    min_undockings: int = 40,
) -> YearHistory:
    """A year of traffic with at least ``min_dockings`` dockings and ``min_undockings``."""
    visits = max(1, min_dockings * 3 // 4)
    while True:
        rng = random.Random(seed)
        events = generate_history(n_events=background, n_open=background_open, seed=seed, now=start)
        planner = _Planner(rng, start, max(e["id"] for e in events) + 1)
        for event in events:
            if event["departure"] is None:  # docked at the start: leaves during the year
                leaving = start + timedelta(seconds=int(rng.uniform(6 * 3600, 150 * 86400)))
                planner.changes.append(
                    ScriptedChange(leaving, "undock", event["id"], _station_of(event))
                )
        weights = [m.weight for m in MISSIONS]
        tally: dict[str, int] = {}
        for arrival in _arrivals(rng, start, visits):
            mission = rng.choices(MISSIONS, weights)[0]
            tally[mission.name] = tally.get(mission.name, 0) + 1
            planner.visit(mission, arrival, tally[mission.name])
        changes = sorted(planner.changes, key=lambda c: (c.at, c.kind != "undock", c.event_id))
        history = YearHistory(events, changes, start, start + YEAR, tally)
        if history.count("dock") >= min_dockings and history.count("undock") >= min_undockings:
            return history
        visits += 2
