"""Parse upstream docking-event JSON (detailed mode) into rows for each table.

Which key goes to which column, and how it is converted, comes from the 2.2.0 declaration
(``models.ll2.v2_2_0``); how the rows of one event hang together is written out here. Every
payload is validated against the 2.2.0 schema first (``models.ll2.schema``): one that
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

from models.ll2 import v2_2_0
from models.ll2.declaration import Kind, LL2Object, Upstream
from models.ll2.formats import parse_duration, plain_url
from models.ll2.schema import SpaceStation, validate_event

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


# How each kind of key is stored when it is not a plain copy.
_CONVERTERS: dict[Kind, Converter] = {
    Kind.URL: plain_url,
    Kind.INSTANT: _utc,
    Kind.DURATION: parse_duration,
}


def columns_of(declared: LL2Object) -> Columns:
    """How ``declared``'s row is read from its struct: the keys copied as they are (``id``
    first), then the converted ones, each group in upstream's order. Embedded objects (their
    id columns are the parser's) and keys not read from upstream are left out."""
    read = [
        key
        for key in declared.keys
        if key.upstream is not Upstream.IGNORED and key.kind is not Kind.OBJECT
    ]
    entries: list[tuple[str, str, Converter | None]] = [
        (key.name, key.column, None) for key in read if key.kind not in _CONVERTERS
    ]
    entries += [
        (key.name, key.column, _CONVERTERS[key.kind]) for key in read if key.kind in _CONVERTERS
    ]
    attributes = [attribute for attribute, _, _ in entries]
    return Columns(attrgetter(*attributes), tuple((column, f) for _, column, f in entries))


AGENCY_COLUMNS = columns_of(v2_2_0.AGENCY)
CONFIG_COLUMNS = columns_of(v2_2_0.CONFIG)
SPACECRAFT_COLUMNS = columns_of(v2_2_0.SPACECRAFT)
FLIGHT_COLUMNS = columns_of(v2_2_0.FLIGHT)
STATION_COLUMNS = columns_of(v2_2_0.STATION)
STATUS_COLUMNS = columns_of(v2_2_0.STATUS)
CONFIG_TYPE_COLUMNS = columns_of(v2_2_0.CONFIG_TYPE)
LOCATION_COLUMNS = columns_of(v2_2_0.LOCATION)
EVENT_COLUMNS = columns_of(v2_2_0.EVENT)
# A spacecraft row holding either duration records when they were fetched.
_DURATION_COLUMNS = tuple(key.column for key in v2_2_0.SPACECRAFT.keys if key.kind is Kind.DURATION)


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
    parsed: ParsedEvent, flight: Row, spacecraft: Any, fetched_at: dt.datetime
) -> None:
    row = _row(spacecraft, SPACECRAFT_COLUMNS)
    if any(column in row for column in _DURATION_COLUMNS):
        row["durations_fetched_at"] = fetched_at
    parsed.spacecraft = row
    flight["spacecraft_id"] = spacecraft.id

    if spacecraft.status is not UNSET:
        parsed.status = _row(spacecraft.status, STATUS_COLUMNS)
        row["status_id"] = spacecraft.status.id

    config = spacecraft.spacecraft_config
    if config is UNSET:
        return
    parsed.config = _row(config, CONFIG_COLUMNS)
    row["spacecraft_config_id"] = config.id
    if config.type is not UNSET:
        parsed.config_type = _row(config.type, CONFIG_TYPE_COLUMNS)
        parsed.config["type_id"] = config.type.id
    if config.agency is not UNSET:
        parsed.agency = _row(config.agency, AGENCY_COLUMNS)
        parsed.config["agency_id"] = config.agency.id
