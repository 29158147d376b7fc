"""Deterministic LL2 2.2.0 docking-event history for the fake upstream.

``generate_history`` builds plain detailed-form event dicts (full nested objects, upstream key
order, ``url`` values as upstream writes them for a plain request) from a seeded RNG: the real
id-615 sample, an event derived from the 2.1.0 id-100 sample, and generated history across Mir,
the ISS, the Tiangong stations and their ports. ``make_event`` builds one event for tests.
Nothing here reads ``/work/shared``; the two samples come from ``tests/data``.
"""

from __future__ import annotations

import copy
import json
import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

Event = dict[str, Any]

DATA_DIR = Path(__file__).resolve().parent / "data"
LL2 = "https://ll.thespacedevs.com/2.2.0"
IMG = "https://thespacedevs-prod.nyc3.digitaloceanspaces.com/media/images"
#: The instant the 615 sample was captured (its time_docked counted from its docking time).
DEFAULT_NOW = datetime(2025, 4, 4, 2, 5, 33, tzinfo=UTC)

_DURATION_RE = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


# --- value formatting (shared with the fake server) ------------------------------------------


def format_datetime(value: datetime) -> str:
    """Upstream's datetime form: UTC, ``Z``, microseconds only when non-zero."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_datetime(text: str) -> datetime:
    """Parse a stored upstream datetime string (``…Z`` or an offset) to an aware datetime."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def format_duration(seconds: float) -> str:
    """ISO-8601 duration with days as the largest unit, whole seconds, zero parts left out."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date_part = f"{days}D" if days else ""
    time_part = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    if not date_part and not time_part:
        return "P0D"
    return "P" + date_part + (f"T{time_part}" if time_part else "")


def parse_duration(text: str | None) -> int:
    """Whole seconds of an ISO-8601 duration as written by upstream (``P139DT10H52M14S``)."""
    match = _DURATION_RE.match(text or "")
    if not match:
        return 0
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return int(parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"])


# --- catalogue -------------------------------------------------------------------------------

STATIONS: dict[int, tuple[str, str]] = {
    4: ("International Space Station", f"{IMG}/international2520space2520station_image.jpg"),
    18: ("Tiangong space station", f"{IMG}/tiangong_space__image_20231031004146.png"),
    6: ("Mir", f"{IMG}/mir_image_20190207032313.jpeg"),
    1: ("Tiangong-1", f"{IMG}/tiangong-1_image_20190207032414.jpeg"),
    2: ("Tiangong-2", f"{IMG}/tiangong-2_image_20190207032424.jpeg"),
}
DESTINATIONS = {
    4: "International Space Station",
    18: "Tiangong Space Station",
    6: "Mir",
    1: "Tiangong-1",
    2: "Tiangong-2",
}
# Station active windows (first, last docking) for generated history.
STATION_WINDOWS: dict[int, tuple[datetime, datetime | None]] = {
    6: (datetime(1987, 2, 9, tzinfo=UTC), datetime(2000, 6, 1, tzinfo=UTC)),
    4: (datetime(1998, 12, 7, tzinfo=UTC), None),
    1: (datetime(2011, 11, 2, tzinfo=UTC), datetime(2013, 6, 26, tzinfo=UTC)),
    2: (datetime(2016, 10, 19, tzinfo=UTC), datetime(2017, 9, 17, tzinfo=UTC)),
    18: (datetime(2021, 5, 29, tzinfo=UTC), None),
}
LOCATIONS: dict[int, tuple[str, int]] = {
    1: ("Unity nadir", 4),
    2: ("Zvezda aft", 4),
    3: ("Poisk zenith", 4),
    12: ("Node 2 forward", 4),
    13: ("Rassvet nadir", 4),
    17: ("Destiny forward", 4),
    18: ("Pirs nadir", 4),
    19: ("Harmony forward", 4),
    21: ("Harmony nadir", 4),
    30: ("Harmony zenith", 4),
    34: ("Nauka nadir", 4),
    36: ('PMA-2/IDA_2, 100% "forward"', 4),
    5: ("Core forward", 6),
    6: ("Kvant-1", 6),
    8: ("Kvant-2", 6),
    9: ("Core aft", 6),
    10: ("Kristall module", 6),
    4: ("Forward", 1),
    22: ("Forward", 2),
    31: ("Tianhe forward", 18),
    32: ("Tianhe aft", 18),
    33: ("Tianhe radial", 18),
}

# id: (name, type, country, abbrev, founding_year, launchers, spacecraft, parent)
# fmt: off
# id: (name, type, country, abbrev, founding_year, launchers, spacecraft, parent)
AGENCIES: dict[int, tuple[str, str, str, str, str, str, str, str | None]] = {
    63: ("Russian Federal Space Agency (ROSCOSMOS)", "Government", "RUS", "RFSA", "1992",
         "Soyuz | Proton | Angara", "Soyuz | Progress", None),
    44: ("National Aeronautics and Space Administration", "Government", "USA", "NASA", "1958",
         "Space Shuttle | SLS", "Space Shuttle | Orion", None),
    121: ("SpaceX", "Commercial", "USA", "SpX", "2002", "Falcon", "Dragon", None),
    88: ("China Aerospace Science and Technology Corporation", "Government", "CHN", "CASC",
         "1999", "Long March", "", None),
    37: ("Japan Aerospace Exploration Agency", "Government", "JPN", "JAXA", "2003",
         "H-IIA | H-IIB | H3", "HTV", None),
    27: ("European Space Agency", "Multinational", "FRA,DEU,ITA", "ESA", "1975", "Ariane",
         "ATV", None),
    257: ("Northrop Grumman Space Systems", "Commercial", "USA", "NGSS", "2018",
          "Antares | Minotaur", "Cygnus", "Northrop Grumman"),
    80: ("Boeing", "Commercial", "USA", "BA", "1916", "", "Starliner", None),
}

# id: (name, (type id, type name), agency, in_use, maiden, height, diameter, human_rated,
#      crew_capacity, payload_capacity, payload_return_capacity, flight_life)
CONFIGS: dict[int, tuple[Any, ...]] = {
    1: ("Soyuz", (1, "Unknown"), 63, True, "1967-04-23", 7.48, 2.72, True, 3, None, None,
        "up to 200 days"),
    2: ("Progress", (4, "Cargo Resupply"), 63, True, "1978-01-20", 7.2, 2.72, False, None,
        2350, None, "180 days"),
    3: ("Space Shuttle", (3, "Spaceplane"), 44, False, "1981-04-12", 37.24, 8.7, True, 8,
        27500, 14400, "2 weeks"),
    4: ("Dragon 1", (4, "Cargo Resupply"), 121, False, "2010-12-08", 6.1, 3.7, False, None,
        6000, 3000, "1 month"),
    6: ("Crew Dragon 2", (2, "Capsule"), 121, True, "2019-03-02", 8.1, 4.0, True, 4, 6000,
        3000, "210 days"),
    7: ("Cargo Dragon 2", (4, "Cargo Resupply"), 121, True, "2020-12-06", 8.1, 4.0, False,
        None, 6000, 3300, "75 days"),
    9: ("Cygnus", (4, "Cargo Resupply"), 257, True, "2013-09-18", 6.39, 3.07, False, None,
        3750, None, None),
    10: ("H-II Transfer Vehicle", (4, "Cargo Resupply"), 37, False, "2009-09-10", 9.8, 4.4,
         False, None, 6000, None, "Unknown"),
    11: ("Automated Transfer Vehicle", (4, "Cargo Resupply"), 27, False, "2008-03-09", 10.3,
         4.5, False, None, 7667, None, "6 months"),
    18: ("Shenzhou", (2, "Capsule"), 88, True, "1999-11-19", 9.25, 2.8, True, 3, 300, None,
         "183 days"),
    26: ("Starliner", (2, "Capsule"), 80, True, "2019-12-20", 5.03, 4.56, True, 7, None, None,
         "210 days"),
}
# fmt: on


@dataclass(frozen=True)
class Kind:
    """A family of vehicles: its config, naming, stay length and where/when it flew."""

    config_id: int
    names: tuple[str, ...]  # reusable vehicles cycle through these; else a numbered pattern
    pattern: str  # "{n}" is replaced by a counter
    stay_days: tuple[int, int]
    stations: dict[int, tuple[datetime, datetime | None]]
    weight: float


def _d(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


# fmt: off
KINDS: tuple[Kind, ...] = (
    Kind(1, (), "Soyuz TM-{n}", (150, 200), {6: (_d(1987, 2), _d(2000, 6))}, 3),
    Kind(1, (), "Soyuz MS-{n}", (150, 200), {4: (_d(1998, 12), None)}, 3),
    Kind(2, (), "Progress M-{n}", (60, 190), {6: (_d(1987, 2), _d(2000, 6))}, 5),
    Kind(2, (), "Progress MS-{n}", (60, 190), {4: (_d(1998, 12), None)}, 4),
    Kind(3, ("Atlantis", "Discovery", "Endeavour"), "", (6, 12),
         {6: (_d(1995, 6), _d(1998, 6)), 4: (_d(1998, 12), _d(2011, 7))}, 2),
    Kind(11, (), "ATV-{n}", (120, 190), {4: (_d(2008, 4), _d(2014, 8))}, 0.5),
    Kind(10, (), "HTV-{n}", (30, 45), {4: (_d(2009, 9), _d(2020, 5))}, 0.5),
    Kind(4, ("Dragon C106", "Dragon C108", "Dragon C111", "Dragon C112", "Dragon C113"), "",
         (25, 35), {4: (_d(2012, 5), _d(2020, 3))}, 1),
    Kind(9, (), 'Cygnus NG-{n} "S.S. Astronaut {n}"', (30, 90), {4: (_d(2013, 9), None)}, 1),
    Kind(6, ("Crew Dragon Endeavour", "Crew Dragon Resilience", "Crew Dragon Endurance",
             "Crew Dragon Freedom, C212"), "", (120, 180), {4: (_d(2020, 5), None)}, 1.5),
    Kind(7, ("Cargo Dragon C208", "Cargo Dragon C209_reflown", "Cargo Dragon C211"), "",
         (30, 40), {4: (_d(2020, 12), None)}, 1),
    Kind(26, ("Starliner Calypso",), "", (7, 90), {4: (_d(2022, 5), _d(2024, 9))}, 0.2),
    Kind(18, (), "Shenzhou-{n}", (5, 190),
         {1: (_d(2011, 11), _d(2013, 6)), 2: (_d(2016, 10), _d(2017, 9)),
          18: (_d(2021, 5), None)}, 1),
    Kind(25, (), "Tianzhou-{n}", (150, 300),
         {2: (_d(2017, 4), _d(2017, 9)), 18: (_d(2021, 5), None)}, 1),
)
# fmt: on

_BY_CONFIG = {kind.config_id: kind for kind in KINDS}  # last kind per config: the modern one
#: Vehicles docked "now": a reused Crew Dragon first, so an open event shares its spacecraft.
OPEN_KINDS = tuple(_BY_CONFIG[c] for c in (6, 1, 18, 2, 25, 9, 7))


# --- nested objects --------------------------------------------------------------------------


def agency_full(agency_id: int) -> dict[str, Any]:
    """AGENCY-FULL as upstream writes it in detailed spacecraft configs (CASC: the sample's)."""
    if agency_id == 88:
        sample_config = _sample_615()["flight_vehicle"]["spacecraft"]["spacecraft_config"]
        return copy.deepcopy(sample_config["agency"])
    name, kind, country, abbrev, year, launchers, craft, parent = AGENCIES[agency_id]
    return {
        "id": agency_id,
        "url": f"{LL2}/agencies/{agency_id}/",
        "name": name,
        "featured": agency_id in (44, 63, 88, 121),
        "type": kind,
        "country_code": country,
        "abbrev": abbrev,
        "description": f"{name} ({abbrev}) is a space agency founded in {year}.",
        "administrator": "" if agency_id == 80 else f"Administrator of {abbrev}",
        "founding_year": year,
        "launchers": launchers,
        "spacecraft": craft,
        "parent": parent,
        "image_url": f"{IMG}/{abbrev.lower()}_image.jpg",
        "logo_url": None if agency_id == 257 else f"{IMG}/{abbrev.lower()}_logo.png",
    }


def config_detailed(config_id: int) -> dict[str, Any]:
    """A detailed ``spacecraft_config`` (the Tianzhou one is the real sample's)."""
    if config_id == 25:
        return copy.deepcopy(_sample_615()["flight_vehicle"]["spacecraft"]["spacecraft_config"])
    name, (type_id, type_name), agency_id, in_use, maiden, height, diameter = CONFIGS[config_id][:7]
    human, crew, payload, payload_return, life = CONFIGS[config_id][7:]
    slug = name.lower().replace(" ", "_")
    return {
        "id": config_id,
        "url": f"{LL2}/config/spacecraft/{config_id}/",
        "name": name,
        "type": {"id": type_id, "name": type_name},
        "agency": agency_full(agency_id),
        "in_use": in_use,
        "capability": f"{type_name} to low Earth orbit",
        "history": f"The {name} first flew on {maiden}.",
        "details": f"{name} spacecraft.",
        "maiden_flight": maiden,
        "height": height,
        "diameter": diameter,
        "human_rated": human,
        "crew_capacity": crew,
        "payload_capacity": payload,
        "payload_return_capacity": payload_return,
        "flight_life": life,
        "image_url": f"{IMG}/{slug}_image.jpg",
        "nation_url": None,
        "wiki_link": f"https://en.wikipedia.org/wiki/{name.replace(' ', '_')}",
        "info_link": "" if config_id % 2 else None,
    }


def station_link(station_id: int) -> dict[str, Any]:
    """``docking_location.spacestation``: id, url, name (no image)."""
    return {
        "id": station_id,
        "url": f"{LL2}/spacestation/{station_id}/",
        "name": STATIONS[station_id][0],
    }


def station_full(station_id: int) -> dict[str, Any]:
    """Top-level ``space_station`` of the detailed form."""
    return {**station_link(station_id), "image_url": STATIONS[station_id][1]}


def docking_location(location_id: int) -> dict[str, Any]:
    """``docking_location`` with its station link."""
    name, station_id = LOCATIONS[location_id]
    return {"id": location_id, "name": name, "spacestation": station_link(station_id)}


def spacecraft(
    craft_id: int,
    name: str,
    config_id: int,
    *,
    serial: str | None = None,
    in_space: bool = False,
    time_in_space: float = 0,
    time_docked: float = 0,
    flights: int = 1,
    mission_ends: int = 1,
    reusable: bool = False,
) -> dict[str, Any]:
    """A detailed ``spacecraft`` object in upstream key order."""
    status = (1, "Active") if reusable else (4, "Single Use")
    return {
        "id": craft_id,
        "url": f"{LL2}/spacecraft/{craft_id}/",
        "name": name,
        "serial_number": serial,
        "is_placeholder": False,
        "in_space": in_space,
        "time_in_space": format_duration(time_in_space),
        "time_docked": format_duration(time_docked),
        "flights_count": flights,
        "mission_ends_count": mission_ends,
        "status": {"id": status[0], "name": status[1]},
        "description": f"{name} spacecraft.",
        "spacecraft_config": config_detailed(config_id),
    }


def _event(
    event_id: int,
    launch_id: str | None,
    docking: datetime,
    departure: datetime | None,
    flight: dict[str, Any],
    location_id: int,
) -> Event:
    station_id = LOCATIONS[location_id][1]
    return {
        "id": event_id,
        "url": f"{LL2}/docking_event/{event_id}/",
        "launch_id": launch_id,
        "docking": format_datetime(docking),
        "departure": None if departure is None else format_datetime(departure),
        "flight_vehicle": flight,
        "docking_location": docking_location(location_id),
        "space_station": station_full(station_id),
    }


# --- the two real samples --------------------------------------------------------------------


def _strip_format(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_format(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_format(v) for v in value]
    if isinstance(value, str) and value.startswith("http"):
        return value.removesuffix("?format=api")
    return value


_SAMPLE_CACHE: dict[str, Event] = {}


def _sample_615() -> Event:
    if "615" not in _SAMPLE_CACHE:
        raw = json.loads(
            (DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json").read_text()
        )
        _SAMPLE_CACHE["615"] = _strip_format(raw)
    return _SAMPLE_CACHE["615"]


def sample_615(now: datetime = DEFAULT_NOW) -> Event:
    """The real id-615 event (``?format=api`` stripped), durations brought to ``now``."""
    event = copy.deepcopy(_sample_615())
    craft = event["flight_vehicle"]["spacecraft"]
    docked = (now - parse_datetime(event["docking"])).total_seconds()
    # In the capture, time_in_space exceeds time_docked by 3 h 18 min 41 s.
    craft["time_docked"] = format_duration(docked)
    craft["time_in_space"] = format_duration(docked + 11921 if docked > 0 else 0)
    return event


def sample_100() -> Event:
    """The 2.1.0 id-100 event brought into 2.2.0 detailed shape."""
    raw = json.loads((DATA_DIR / "ll-2.1.0_docking_event_item_id-100_normal.json").read_text())
    flight = raw["flight_vehicle"]
    old = flight["spacecraft"]
    launch = datetime(2009, 9, 30, 7, 14, tzinfo=UTC)
    docking, departure = parse_datetime(raw["docking"]), parse_datetime(raw["departure"])
    mission_end = parse_datetime(flight["mission_end"])
    craft = spacecraft(
        old["id"],
        old["name"],
        1,
        serial=old["serial_number"],
        time_in_space=(mission_end - launch).total_seconds(),
        time_docked=(departure - docking).total_seconds(),
    )
    craft["description"] = old["description"]
    return _event(
        raw["id"],
        raw["launch_id"],
        docking,
        departure,
        {
            "id": flight["id"],
            "url": f"{LL2}/spacecraft/flight/{flight['id']}/",
            "destination": flight["destination"],
            "mission_end": flight["mission_end"],
            "spacecraft": craft,
        },
        raw["docking_location"]["id"],
    )


# --- generated history -----------------------------------------------------------------------


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
    namer, stays, flight_seq = _Namer(), [], 0
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
    ids, candidate = [], 0
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
            destination = DESTINATIONS[stay.station_id]
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
            _event(event_id, launch_id, stay.docking, stay.departure, flight, stay.location_id)
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


def make_event(
    event_id: int,
    docking: datetime | str,
    departure: datetime | str | None = None,
    *,
    location_id: int = 2,
    config_id: int = 2,
    spacecraft_id: int | None = None,
    spacecraft_name: str | None = None,
    flight_id: int | None = None,
    launch_id: str | None = "00000000-0000-4000-8000-000000000000",
    now: datetime = DEFAULT_NOW,
) -> Event:
    """One detailed event for tests; the station follows from ``location_id``."""
    dock = parse_datetime(docking) if isinstance(docking, str) else docking
    dep = parse_datetime(departure) if isinstance(departure, str) else departure
    docked = ((dep or now) - dock).total_seconds()
    craft_id = spacecraft_id or 5000 + event_id
    craft = spacecraft(
        craft_id,
        spacecraft_name or f"Test vehicle {event_id}",
        config_id,
        in_space=dep is None,
        time_in_space=docked + 3600,
        time_docked=docked,
        mission_ends=0 if dep is None else 1,
    )
    fid = flight_id or 6000 + event_id
    station_id = LOCATIONS[location_id][1]
    flight = {
        "id": fid,
        "url": f"{LL2}/spacecraft/flight/{fid}/",
        "destination": DESTINATIONS[station_id],
        "mission_end": None if dep is None else format_datetime(dep + timedelta(hours=4)),
        "spacecraft": craft,
    }
    return _event(event_id, launch_id, dock, dep, flight, location_id)


__all__ = [
    "DEFAULT_NOW",
    "Event",
    "format_datetime",
    "format_duration",
    "generate_history",
    "make_event",
    "parse_datetime",
    "parse_duration",
    "sample_100",
    "sample_615",
]
