"""Deterministic generated history: ``generate_history`` for the fake upstream and the demo.

From a seeded RNG it plans stays across Mir, the ISS, the Tiangong stations and their ports
(closed history oldest first, a few relocations, equal docking times, out-of-order and missing
ids, some vehicles docked "now"), then builds detailed-form events for them, with one shared
set of values per spacecraft and per flight, and adds the two real samples.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_upstream.catalogue import (
    DESTINATIONS,
    KINDS,
    LL2,
    LOCATIONS,
    OPEN_KINDS,
    STATION_WINDOWS,
    Kind,
)
from fake_upstream.data import DEFAULT_NOW, build_event, sample_100, sample_615, spacecraft
from fake_upstream.values import Event, format_datetime, parse_datetime


@dataclass
class _Stay:
    kind: Kind
    station_id: int
    docking: datetime
    departure: datetime | None
    craft_key: tuple[int, str]
    flight_key: int
    location_id: int = 0


def _active(window: tuple[datetime, datetime | None], when: datetime) -> bool:
    start, end = window
    return start <= when and (end is None or when < end)


def _pick_kind(rng: random.Random, when: datetime, stations: tuple[int, ...]) -> tuple[Kind, int]:
    options = [
        (kind, sid)
        for kind in KINDS
        for sid, window in kind.stations.items()
        if sid in stations and _active(window, when)
    ]
    if not options:
        options = [(KINDS[1], 4)]
    weights = [kind.weight for kind, _ in options]
    return rng.choices(options, weights)[0]


class _Namer:
    """Hands out vehicle names: a counter per pattern, a cycle per reusable fleet."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = defaultdict(int)

    def name(self, kind: Kind) -> str:
        key = kind.pattern or kind.names[0]
        self.counters[key] += 1
        n = self.counters[key]
        if kind.names:
            return kind.names[(n - 1) % len(kind.names)]
        if kind.config_id == 25 and n >= 8:
            n += 1  # Tianzhou-8 is the real sample
        return kind.pattern.replace("{n}", f"{n:02d}" if "MS" in kind.pattern else str(n))


def _plan_stays(rng: random.Random, n_closed: int, n_open: int, now: datetime) -> list[_Stay]:
    """Closed history (oldest first, some relocations and equal times) then open stays."""
    start, end = datetime(1987, 2, 9, tzinfo=UTC), now - timedelta(days=10)
    span = (end - start).total_seconds()
    namer, flight_seq = _Namer(), 0
    stays: list[_Stay] = []
    times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n_closed))
    for i, when in enumerate(times):
        if len(stays) >= n_closed:
            break
        docking = when.replace(second=0, microsecond=0)
        if i and rng.random() < 0.03:
            docking = stays[-1].docking  # equal docking times exercise the id tiebreak
        elif rng.random() < 0.01:
            docking = when  # sub-second precision appears now and then
        stations = tuple(sid for sid, w in STATION_WINDOWS.items() if _active(w, docking))
        kind, sid = _pick_kind(rng, docking, stations or (4,))
        flight_seq += 1
        days = rng.uniform(*kind.stay_days)
        departure = docking.replace(microsecond=0) + timedelta(minutes=int(days * 1440))
        name = namer.name(kind)
        stays.append(_Stay(kind, sid, docking, departure, (kind.config_id, name), flight_seq))
        if kind.config_id == 1 and sid == 4 and rng.random() < 0.1 and len(stays) < n_closed:
            moved = departure + timedelta(minutes=rng.randrange(20, 40))
            back = moved + timedelta(hours=rng.randrange(480, 1440))
            stays.append(_Stay(kind, sid, moved, back, (1, name), flight_seq))  # relocation
    for i in range(n_open):
        docking = now - timedelta(days=rng.uniform(1, 200), minutes=rng.randrange(1440))
        docking = docking.replace(second=0, microsecond=0)
        kind = OPEN_KINDS[i % len(OPEN_KINDS)]
        sid = next(iter(kind.stations)) if 4 not in kind.stations else 4
        sid = 18 if 18 in kind.stations else sid
        flight_seq += 1
        name = namer.name(kind)
        stays.append(_Stay(kind, sid, docking, None, (kind.config_id, name), flight_seq))
    return stays


def _assign_ports(rng: random.Random, stays: list[_Stay]) -> None:
    by_station: dict[int, list[int]] = defaultdict(list)
    for location_id, (_, station_id) in LOCATIONS.items():
        by_station[station_id].append(location_id)
    for stay in stays:
        ports = by_station[stay.station_id]
        stay.location_id = rng.choice(ports)


def _assign_ids(rng: random.Random, count: int, reserved: set[int]) -> list[int]:
    ids: list[int] = []
    candidate = 0
    while len(ids) < count:
        candidate += 1
        if candidate in reserved or rng.random() < 0.015:  # gaps: deleted duplicates
            continue
        ids.append(candidate)
    for _ in range(max(1, count // 30)):  # back-filled history: ids out of docking order
        if count > 1:
            a, b = rng.randrange(count), rng.randrange(count)
            ids[a], ids[b] = ids[b], ids[a]
    return ids


def _craft_times(
    stays: list[_Stay], flights: dict[int, dict[str, Any]], now: datetime
) -> dict[tuple[int, str], tuple[bool, float, float, int, int]]:
    """Per vehicle: in_space, time in space, time docked, flights, mission ends."""
    per_flight: dict[int, list[_Stay]] = defaultdict(list)
    for stay in stays:
        per_flight[stay.flight_key].append(stay)
    result: dict[tuple[int, str], list[Any]] = {}
    for flight_key, group in per_flight.items():
        key = group[0].craft_key
        entry = result.setdefault(key, [False, 0.0, 0.0, 0, 0])
        launch = min(s.docking for s in group) - timedelta(hours=6 + flight_key % 48)
        mission_end = flights[flight_key]["mission_end"]
        end = now if mission_end is None else parse_datetime(mission_end)
        entry[0] = entry[0] or mission_end is None
        entry[1] += max(0.0, (end - launch).total_seconds())
        entry[2] += sum(max(0.0, ((s.departure or now) - s.docking).total_seconds()) for s in group)
        entry[3] += 1
        entry[4] += mission_end is not None
    return {k: (v[0], v[1], v[2], v[3], v[4]) for k, v in result.items()}


def _flight_ends(stays: list[_Stay]) -> dict[int, str | None]:
    """A flight's mission_end: open while any stay is open, else after its last departure."""
    ends: dict[int, str | None] = {}
    last: dict[int, datetime | None] = {}
    for stay in stays:
        previous = last.get(stay.flight_key, stay.departure)
        if stay.departure is None or previous is None:
            last[stay.flight_key] = None
        else:
            last[stay.flight_key] = max(previous, stay.departure)
    for key, departure in last.items():
        end = None if departure is None else departure + timedelta(hours=3 + key % 40)
        ends[key] = None if end is None else format_datetime(end)
    return ends


def _build_events(
    rng: random.Random, stays: list[_Stay], ids: list[int], now: datetime
) -> list[Event]:
    craft_ids: dict[tuple[int, str], int] = {}
    flight_ids: dict[int, int] = {}
    for stay in stays:
        craft_ids.setdefault(stay.craft_key, 1000 + len(craft_ids))
        flight_ids.setdefault(stay.flight_key, 2000 + len(flight_ids))
    ends = _flight_ends(stays)
    times = _craft_times(stays, {k: {"mission_end": v} for k, v in ends.items()}, now)
    events = []
    # A spacecraft (and a flight) is one upstream object: every event embedding it shows the
    # same values, so the random choices are made once per object, not once per event.
    serials: dict[tuple[int, str], str | None] = {}
    destinations: dict[int, str | None] = {}
    for event_id, stay in zip(ids, stays, strict=True):
        key = stay.craft_key
        in_space, tis, tdock, n_flights, n_ends = times[key]
        if key not in serials:
            serials[key] = rng.choice((None, "", f"SN-{craft_ids[key]}", f"{craft_ids[key] % 97}"))
        serial = serials[key]
        craft = spacecraft(
            craft_ids[key],
            key[1],
            key[0],
            serial=serial,
            in_space=in_space,
            time_in_space=tis,
            time_docked=tdock,
            flights=n_flights,
            mission_ends=n_ends,
            reusable=bool(stay.kind.names),
        )
        if stay.flight_key not in destinations:
            destination: str | None = DESTINATIONS[stay.station_id]
            if rng.random() < 0.02:
                destination = rng.choice(("", None))
            destinations[stay.flight_key] = destination
        destination = destinations[stay.flight_key]
        flight_id = flight_ids[stay.flight_key]
        flight = {
            "id": flight_id,
            "url": f"{LL2}/spacecraft/flight/{flight_id}/",
            "destination": destination,
            "mission_end": ends[stay.flight_key],
            "spacecraft": craft,
        }
        launch_id = None
        if rng.random() >= 0.01:
            launch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        events.append(
            build_event(event_id, launch_id, stay.docking, stay.departure, flight, stay.location_id)
        )
    return events


def generate_history(
    n_events: int = 650,
    n_open: int = 12,
    seed: int = 1,
    now: datetime = DEFAULT_NOW,
) -> list[Event]:
    """Detailed-form events sorted by id: the two real samples plus seeded generated history.

    ``n_open`` events (the 615 sample among them) have no departure. The same arguments always
    give the same data; 10,000 events take well under a second.
    """
    rng = random.Random(seed)
    samples = [sample_100(), sample_615(now)] if n_events >= 2 else []
    n_gen = n_events - len(samples)
    open_gen = max(0, min(n_open - (1 if samples else 0), n_gen))
    stays = _plan_stays(rng, n_gen - open_gen, open_gen, now)
    _assign_ports(rng, stays)
    ids = _assign_ids(rng, len(stays), {e["id"] for e in samples})
    events = _build_events(rng, stays, ids, now) + samples
    return sorted(events, key=lambda e: e["id"])
