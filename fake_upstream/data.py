"""LL2 2.2.0 detailed-form docking events: the nested objects, the two real samples, one event.

Events are plain dicts in upstream key order, with ``url`` values as upstream writes them for a
plain request. The builders here make the nested objects (agency, spacecraft config, spacecraft,
station, docking location) from the catalogue; ``sample_615`` and ``sample_100`` are the two
recorded LL2 answers shipped in this package's ``samples/`` folder (the 2.1.0 one brought into
2.2.0 shape); ``make_event`` builds one event for tests and the demo.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from fake_upstream.catalogue import AGENCIES, CONFIGS, DESTINATIONS, IMG, LL2, LOCATIONS, STATIONS
from fake_upstream.values import Event, format_datetime, format_duration, parse_datetime

#: The instant the 615 sample was captured (its time_docked counted from its docking time).
DEFAULT_NOW = datetime(2025, 4, 4, 2, 5, 33, tzinfo=UTC)
SAMPLE_615 = "ll-2.2.0_docking_event_615_detail_format-api.json"
SAMPLE_100 = "ll-2.1.0_docking_event_item_id-100_normal.json"


def read_sample(name: str) -> Any:
    """One recorded LL2 answer from the package's ``samples/`` folder, parsed."""
    text = resources.files("fake_upstream").joinpath("samples", name).read_text(encoding="utf-8")
    return json.loads(text)


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


def build_event(
    event_id: int,
    launch_id: str | None,
    docking: datetime,
    departure: datetime | None,
    flight: dict[str, Any],
    location_id: int,
) -> Event:
    """One detailed event in upstream key order; the station follows from ``location_id``."""
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
        _SAMPLE_CACHE["615"] = _strip_format(read_sample(SAMPLE_615))
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
    raw = read_sample(SAMPLE_100)
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
    return build_event(
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


# --- one event -------------------------------------------------------------------------------


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
    return build_event(event_id, launch_id, dock, dep, flight, location_id)
