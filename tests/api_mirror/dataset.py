"""Detailed-mode upstream events for the mirror's tests: the real id-615 sample and variations.

The events go into the tables through the sync's own ``apply_page``, so the mirror is tested on
exactly what a sync stores.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from sqlmodel import Session

from worker.sync.store import apply_page

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SAMPLE_615 = DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json"
UPSTREAM = "https://ll.thespacedevs.com/2.2.0"
FETCHED_AT = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)

Event = dict[str, Any]

# Station / location / spacecraft names chosen to exercise search: LIKE wildcards and the
# escape character must be literal, case must not matter, quotes and commas appear in names.
STATIONS = [
    (4, "International Space Station"),
    (18, "Tiangong space station"),
    (2, "Mir"),
    (7, "50%_off \\ Station"),
]
LOCATIONS = [
    (2, "Zvezda aft", 4),
    (13, "Rassvet nadir", 4),
    (32, "Tianhe aft", 18),
    (9, "Core aft", 2),
    (40, "Port_A%", 7),
    (41, "Unlinked port", None),
]
CRAFT_NAMES = [
    "Tianzhou-8",
    "Soyuz MS-25",
    "Progress MS-27",
    "Crew Dragon Endeavour",
    'Cygnus "NG-21"',
    "Kounotori, HTV-9",
    "ÉCLAIR ß-test",
]


def sample_615() -> Event:
    """The real detailed sample of id 615, as upstream served it."""
    event: Event = json.loads(SAMPLE_615.read_text())
    return event


def strip_format(value: Any) -> Any:
    """The sample with every ``?format=api`` removed (upstream's plain-request urls)."""
    if isinstance(value, dict):
        return {key: strip_format(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_format(item) for item in value]
    if isinstance(value, str):
        return value.replace("?format=api", "")
    return value


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_events(count: int, *, seed: int = 1, first_id: int = 1) -> list[Event]:
    """``count`` detailed events shaped like the 615 sample, with varied links and times.

    Docking times repeat (ties for the ordering tiebreak) and a quarter of the events are still
    docked (``departure`` null) so every NULL-placement rule is exercised.
    """
    rng = random.Random(seed)
    template = strip_format(sample_615())
    events = []
    base = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for offset in range(count):
        ident = first_id + offset
        event = copy.deepcopy(template)
        event["id"] = ident
        event["url"] = f"{UPSTREAM}/docking_event/{ident}/"
        docking = base + dt.timedelta(days=rng.randrange(0, 9000), seconds=rng.choice([0, 3600]))
        if rng.random() < 0.1:
            docking += dt.timedelta(microseconds=rng.randrange(1, 999999))
        if events and offset % 7 == 3:
            # Equal docking (and departure) times: the id tiebreak decides.
            docking = _parse(events[-1]["docking"])
        event["docking"] = _iso(docking)
        open_ = rng.random() < 0.25
        event["departure"] = (
            None if open_ else _iso(docking + dt.timedelta(days=rng.randrange(1, 200)))
        )
        if events and offset % 7 == 3 and not open_:
            event["departure"] = events[-1]["departure"] or event["departure"]
        loc_id, loc_name, loc_station = rng.choice(LOCATIONS)
        station_id = loc_station if loc_station is not None else rng.choice(STATIONS)[0]
        station_name = dict(STATIONS)[station_id]
        station = {
            "id": station_id,
            "url": f"{UPSTREAM}/spacestation/{station_id}/",
            "name": station_name,
        }
        event["docking_location"] = {
            "id": loc_id,
            "name": loc_name,
            "spacestation": None if loc_station is None else dict(station),
        }
        event["space_station"] = {
            **station,
            "image_url": None if rng.random() < 0.5 else f"https://img.example/{station_id}.png",
        }
        flight = event["flight_vehicle"]
        flight_id = 1000 + rng.randrange(0, count * 2)
        flight["id"] = flight_id
        flight["url"] = f"{UPSTREAM}/spacecraft/flight/{flight_id}/"
        craft = flight["spacecraft"]
        craft_id = 500 + flight_id % 40
        craft["id"] = craft_id
        craft["url"] = f"{UPSTREAM}/spacecraft/{craft_id}/"
        craft["name"] = CRAFT_NAMES[craft_id % len(CRAFT_NAMES)]
        craft["in_space"] = craft_id % 3 == 0
        events.append(event)
    return events


def store(session: Session, events: list[Event], *, now: dt.datetime = FETCHED_AT) -> None:
    """Apply the events as the sync would, in pages of 100, and commit."""
    for start in range(0, len(events), 100):
        apply_page(session, events[start : start + 100], now=now)
    session.commit()
