"""Light, read-only copies of the rows a docking event embeds, as ``load_graphs`` returns them.

Each record is a ``NamedTuple`` whose fields are its table's columns, in the order
``columns_of`` selects them, so a Core result row becomes a record without going through the
ORM (no identity map, no instrumentation, no validation): the mirror only reads. Values are
what the columns' types return, datetimes included (timezone-aware UTC on both databases).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Column, Table

from models.store.tables import (
    Agency,
    DockingEvent,
    DockingLocation,
    Spacecraft,
    SpacecraftConfig,
    SpacecraftConfigType,
    SpacecraftFlight,
    SpacecraftStatus,
    SpaceStation,
)
from models.store.tables import table_of as model_table


class AgencyRecord(NamedTuple):
    id: int
    url: str | None
    name: str | None
    featured: bool | None
    type: str | None
    country_code: str | None
    abbrev: str | None
    description: str | None
    administrator: str | None
    founding_year: str | None
    launchers: str | None
    spacecraft: str | None
    parent: str | None
    image_url: str | None
    logo_url: str | None


class ConfigTypeRecord(NamedTuple):
    id: int
    name: str | None


class StatusRecord(NamedTuple):
    id: int
    name: str | None


class ConfigRecord(NamedTuple):
    id: int
    url: str | None
    name: str | None
    type_id: int | None
    agency_id: int | None
    in_use: bool | None
    capability: str | None
    history: str | None
    details: str | None
    maiden_flight: dt.date | None
    height: float | None
    diameter: float | None
    human_rated: bool | None
    crew_capacity: int | None
    payload_capacity: int | None
    payload_return_capacity: int | None
    flight_life: str | None
    image_url: str | None
    nation_url: str | None
    wiki_link: str | None
    info_link: str | None


class SpacecraftRecord(NamedTuple):
    id: int
    url: str | None
    name: str | None
    serial_number: str | None
    is_placeholder: bool | None
    in_space: bool | None
    time_in_space_seconds: int | None
    time_docked_seconds: int | None
    durations_fetched_at: dt.datetime | None
    flights_count: int | None
    mission_ends_count: int | None
    status_id: int | None
    description: str | None
    spacecraft_config_id: int | None


class FlightRecord(NamedTuple):
    id: int
    url: str | None
    destination: str | None
    mission_end: dt.datetime | None
    spacecraft_id: int | None


class StationRecord(NamedTuple):
    id: int
    url: str | None
    name: str | None
    image_url: str | None


class LocationRecord(NamedTuple):
    id: int
    name: str | None
    spacestation_id: int | None


class EventRecord(NamedTuple):
    id: int
    launch_id: str | None
    docking: dt.datetime
    departure: dt.datetime | None
    flight_vehicle_id: int | None
    docking_location_id: int | None
    space_station_id: int | None
    row_version: int
    last_changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EmbeddedRows:
    """Every row events share, by id (``models.ll2.graph.load_embedded`` reads them)."""

    statuses: Mapping[int, StatusRecord]
    configs: Mapping[int, ConfigRecord]
    config_types: Mapping[int, ConfigTypeRecord]
    agencies: Mapping[int, AgencyRecord]
    locations: Mapping[int, LocationRecord]
    stations: Mapping[int, StationRecord]


# Each record type and the table it copies.
TABLES: dict[type[Any], type[Any]] = {
    AgencyRecord: Agency,
    ConfigTypeRecord: SpacecraftConfigType,
    StatusRecord: SpacecraftStatus,
    ConfigRecord: SpacecraftConfig,
    SpacecraftRecord: Spacecraft,
    FlightRecord: SpacecraftFlight,
    StationRecord: SpaceStation,
    LocationRecord: DockingLocation,
    EventRecord: DockingEvent,
}


def table_of(record: type[Any]) -> Table:
    """The table a record type copies."""
    return model_table(TABLES[record])


def columns_of(record: type[Any]) -> list[Column[Any]]:
    """The columns to select for a record type, in its fields' order."""
    table = table_of(record)
    return [table.c[name] for name in record._fields]
