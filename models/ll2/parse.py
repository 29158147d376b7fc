"""Parse upstream docking-event JSON (detailed mode) into rows for each table.

Every payload is validated against the 2.2.0 schema first (``models.ll2.schema``): one that
does not fit raises ``MalformedEvent`` so the caller can skip it, keeping what is stored. Only
keys present in the payload become columns to write: a field upstream leaves out of one response
(a "missing optional field") keeps its stored value instead of being wiped. Unknown keys are
ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from msgspec import UNSET, Struct

from models.ll2.formats import parse_duration, plain_url
from models.ll2.schema import Spacecraft, SpaceStation, validate_event

Row = dict[str, Any]
Converter = Callable[[Any], Any]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """An instant as aware UTC; upstream writes UTC, so a naive one is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Columns:
    """How one table's row is read from a schema struct: ``read`` returns the attributes' values
    (a tuple, in one C call) and ``plan`` gives each one's column and converter (None: the value
    is copied as it is)."""

    read: Callable[[Any], tuple[Any, ...]]
    plan: tuple[tuple[str, Converter | None], ...]


def _columns(*names: str, **converted: tuple[str, Converter]) -> Columns:
    """``id`` and ``names`` copied as they are, then ``converted`` (attribute=(column, convert))."""
    entries: list[tuple[str, str, Converter | None]] = [(n, n, None) for n in ("id", *names)]
    entries += [(name, column, convert) for name, (column, convert) in converted.items()]
    attributes = [attribute for attribute, _, _ in entries]
    return Columns(attrgetter(*attributes), tuple((column, f) for _, column, f in entries))


_URL = ("url", plain_url)
AGENCY_COLUMNS = _columns(
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
    url=_URL,
)
CONFIG_COLUMNS = _columns(
    "name",
    "in_use",
    "capability",
    "history",
    "details",
    "maiden_flight",
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
    url=_URL,
)
SPACECRAFT_COLUMNS = _columns(
    "name",
    "serial_number",
    "is_placeholder",
    "in_space",
    "flights_count",
    "mission_ends_count",
    "description",
    url=_URL,
    time_in_space=("time_in_space_seconds", parse_duration),
    time_docked=("time_docked_seconds", parse_duration),
)
FLIGHT_COLUMNS = _columns("destination", url=_URL, mission_end=("mission_end", _utc))
STATION_COLUMNS = _columns("name", "image_url", url=_URL)
LOOKUP_COLUMNS = _columns("name")
LOCATION_COLUMNS = _columns("name")
EVENT_COLUMNS = _columns("launch_id", docking=("docking", _utc), departure=("departure", _utc))


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


def _row(source: Struct, columns: Columns) -> Row:
    """Columns for the attributes of ``source`` that upstream sent (``id`` always is)."""
    return {
        column: value if convert is None else convert(value)
        for (column, convert), value in zip(columns.plan, columns.read(source), strict=True)
        if value is not UNSET
    }


def parse_event(payload: Any, *, fetched_at: dt.datetime) -> ParsedEvent:
    """Split one detailed-mode docking event (decoded JSON) into table rows.

    Raises ``MalformedEvent`` when the payload breaks the 2.2.0 schema.
    """
    event = validate_event(payload)
    parsed = ParsedEvent(event=_row(event, EVENT_COLUMNS))
    flight = event.flight_vehicle
    parsed.flight = _row(flight, FLIGHT_COLUMNS)
    parsed.event["flight_vehicle_id"] = flight.id
    _parse_spacecraft(parsed, parsed.flight, flight.spacecraft, fetched_at)

    location = event.docking_location
    parsed.location = _row(location, LOCATION_COLUMNS)
    parsed.event["docking_location_id"] = location.id
    if isinstance(location.spacestation, SpaceStation):
        parsed.stations.append(_row(location.spacestation, STATION_COLUMNS))
        parsed.location["spacestation_id"] = location.spacestation.id
    elif location.spacestation is None:
        parsed.location["spacestation_id"] = None

    if isinstance(event.space_station, SpaceStation):
        parsed.stations.append(_row(event.space_station, STATION_COLUMNS))
        parsed.event["space_station_id"] = event.space_station.id
    return parsed


def _parse_spacecraft(
    parsed: ParsedEvent, flight: Row, spacecraft: Spacecraft, fetched_at: dt.datetime
) -> None:
    row = _row(spacecraft, SPACECRAFT_COLUMNS)
    if "time_in_space_seconds" in row or "time_docked_seconds" in row:
        row["durations_fetched_at"] = fetched_at
    parsed.spacecraft = row
    flight["spacecraft_id"] = spacecraft.id

    if spacecraft.status is not UNSET:
        parsed.status = _row(spacecraft.status, LOOKUP_COLUMNS)
        row["status_id"] = spacecraft.status.id

    config = spacecraft.spacecraft_config
    if config is UNSET:
        return
    parsed.config = _row(config, CONFIG_COLUMNS)
    row["spacecraft_config_id"] = config.id
    if config.type is not UNSET:
        parsed.config_type = _row(config.type, LOOKUP_COLUMNS)
        parsed.config["type_id"] = config.type.id
    if config.agency is not UNSET:
        parsed.agency = _row(config.agency, AGENCY_COLUMNS)
        parsed.config["agency_id"] = config.agency.id
