"""Parse upstream docking-event JSON (detailed mode) into rows for each table.

Only keys present in the payload become columns to write: a field upstream leaves out of one
response (a "missing optional field") keeps its stored value instead of being wiped. Unknown
keys are ignored. A malformed event raises MalformedEvent so the caller can skip it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.ll2.errors import MalformedEvent
from models.ll2.formats import parse_date, parse_datetime, parse_duration, plain_url

Row = dict[str, Any]


def _same(value: Any) -> Any:
    return value


Converter = Callable[[Any], Any]

# json key -> (column, converter), per table; order does not matter here.
AGENCY_FIELDS: dict[str, tuple[str, Converter]] = {
    "url": ("url", plain_url),
    **{
        key: (key, _same)
        for key in [
            "name",
            "featured",
            "type",
            "country_code",
            "abbrev",
            "description",
            "administrator",
            "founding_year",
            "launchers",
            "spacecraft",
            "parent",
            "image_url",
            "logo_url",
        ]
    },
}
CONFIG_FIELDS: dict[str, tuple[str, Converter]] = {
    "url": ("url", plain_url),
    "maiden_flight": ("maiden_flight", parse_date),
    **{
        key: (key, _same)
        for key in [
            "name",
            "in_use",
            "capability",
            "history",
            "details",
            "height",
            "diameter",
            "human_rated",
            "crew_capacity",
            "payload_capacity",
            "payload_return_capacity",
            "flight_life",
            "image_url",
            "nation_url",
            "wiki_link",
            "info_link",
        ]
    },
}
SPACECRAFT_FIELDS: dict[str, tuple[str, Converter]] = {
    "url": ("url", plain_url),
    "time_in_space": ("time_in_space_seconds", parse_duration),
    "time_docked": ("time_docked_seconds", parse_duration),
    **{
        key: (key, _same)
        for key in [
            "name",
            "serial_number",
            "is_placeholder",
            "in_space",
            "flights_count",
            "mission_ends_count",
            "description",
        ]
    },
}
FLIGHT_FIELDS: dict[str, tuple[str, Converter]] = {
    "url": ("url", plain_url),
    "destination": ("destination", _same),
    "mission_end": ("mission_end", parse_datetime),
}
STATION_FIELDS: dict[str, tuple[str, Converter]] = {
    "url": ("url", plain_url),
    "name": ("name", _same),
    "image_url": ("image_url", _same),
}
LOOKUP_FIELDS: dict[str, tuple[str, Converter]] = {"name": ("name", _same)}
LOCATION_FIELDS: dict[str, tuple[str, Converter]] = {"name": ("name", _same)}
EVENT_FIELDS: dict[str, tuple[str, Converter]] = {
    "launch_id": ("launch_id", _same),
    "docking": ("docking", parse_datetime),
    "departure": ("departure", parse_datetime),
}


@dataclass
class ParsedEvent:
    """One docking event split into rows per table (only the columns upstream sent)."""

    event: Row
    flight: Row | None = None
    spacecraft: Row | None = None
    status: Row | None = None
    config: Row | None = None
    config_type: Row | None = None
    agency: Row | None = None
    location: Row | None = None
    stations: list[Row] = field(default_factory=list)


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key} is not an object")
    return value


def _row(source: Mapping[str, Any], fields: Mapping[str, tuple[str, Converter]]) -> Row:
    """Columns for ``source``'s present keys, with ``id`` required."""
    identifier = source.get("id")
    if not isinstance(identifier, int) or isinstance(identifier, bool):
        raise MalformedEvent(f"object without an integer id: {identifier!r}")
    row: Row = {"id": identifier}
    for key, (column, convert) in fields.items():
        if key in source:
            row[column] = convert(source[key])
    return row


def parse_event(payload: Any, *, fetched_at: dt.datetime) -> ParsedEvent:
    """Split one detailed-mode docking event into table rows; raises MalformedEvent."""
    if not isinstance(payload, Mapping):
        raise MalformedEvent("docking event is not an object")
    event = _row(payload, EVENT_FIELDS)
    if event.get("docking") is None:
        raise MalformedEvent(f"docking event {event['id']} has no docking time")
    parsed = ParsedEvent(event=event)

    flight = _object(payload, "flight_vehicle")
    if flight is None and "flight_vehicle" in payload:
        event["flight_vehicle_id"] = None
    if flight is not None:
        parsed.flight = _row(flight, FLIGHT_FIELDS)
        event["flight_vehicle_id"] = parsed.flight["id"]
        _parse_spacecraft(parsed, flight, fetched_at)

    location = _object(payload, "docking_location")
    if location is None and "docking_location" in payload:
        event["docking_location_id"] = None
    if location is not None:
        parsed.location = _row(location, LOCATION_FIELDS)
        event["docking_location_id"] = parsed.location["id"]
        station = _object(location, "spacestation")
        if station is not None:
            parsed.stations.append(_row(station, STATION_FIELDS))
            parsed.location["spacestation_id"] = station["id"]
        elif "spacestation" in location:
            parsed.location["spacestation_id"] = None

    top_station = _object(payload, "space_station")
    if top_station is not None:
        parsed.stations.append(_row(top_station, STATION_FIELDS))
        event["space_station_id"] = top_station["id"]
    elif "space_station" in payload:
        event["space_station_id"] = None
    return parsed


def _parse_spacecraft(
    parsed: ParsedEvent, flight: Mapping[str, Any], fetched_at: dt.datetime
) -> None:
    spacecraft = _object(flight, "spacecraft")
    if spacecraft is None:
        if "spacecraft" in flight:
            (parsed.flight or {})["spacecraft_id"] = None
        return
    row = _row(spacecraft, SPACECRAFT_FIELDS)
    if "time_in_space_seconds" in row or "time_docked_seconds" in row:
        row["durations_fetched_at"] = fetched_at
    parsed.spacecraft = row
    (parsed.flight or {})["spacecraft_id"] = row["id"]

    status = _object(spacecraft, "status")
    if status is not None:
        parsed.status = _row(status, LOOKUP_FIELDS)
        row["status_id"] = parsed.status["id"]

    config = _object(spacecraft, "spacecraft_config")
    if config is None:
        return
    parsed.config = _row(config, CONFIG_FIELDS)
    row["spacecraft_config_id"] = parsed.config["id"]
    config_type = _object(config, "type")
    if config_type is not None:
        parsed.config_type = _row(config_type, LOOKUP_FIELDS)
        parsed.config["type_id"] = parsed.config_type["id"]
    agency = _object(config, "agency")
    if agency is not None:
        parsed.agency = _row(agency, AGENCY_FIELDS)
        parsed.config["agency_id"] = parsed.agency["id"]
