"""LL2 2.2.0's detailed docking event as a schema: what upstream JSON must look like to be used.

Upstream is untrusted input, so every event the sync applies is converted with msgspec into
these ``Struct``\\s first (``validate_event``); anything that does not fit is a
``MalformedEvent`` naming the first offending path (``$.flight_vehicle.spacecraft.name``),
never a crash further in. The names follow LL2's own schema (``DockingEventDetailed``,
``SpacecraftFlightSerializerForDockingEvent``, ``SpacecraftDetailedNoFlights``, …). The rules:

- ids are integers from 1 to 2**63 - 1 (the tables' BIGINT); other integers fit BIGINT too;
- a key upstream left out stays ``UNSET`` (the store then keeps the stored value), while an
  explicit ``null`` is a value, allowed only where the 2.2.0 serializer can write one;
- the objects the 2.2.0 serializer always sends (``flight_vehicle``, its ``spacecraft``,
  ``docking_location``) must be present, and no embedded object may be ``null``, except a
  docking location's ``spacestation`` (locations older than that link have none);
- names are strings, flags booleans, instants RFC 3339 (a naive one is UTC), dates
  ``YYYY-MM-DD``, durations ISO 8601 as upstream writes them, floats finite;
- unknown keys are ignored, as a new upstream field must not break the mirror.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from models.ll2.errors import MalformedEvent
from models.ll2.formats import DURATION_PATTERN
from models.support.limits import BIGINT_MAX, BIGINT_MIN

# How much of a value that is not a valid id a log line may quote.
_ID_REPR_CHARS = 40

ObjectId = Annotated[int, Meta(gt=0, le=BIGINT_MAX)]
Count = Annotated[int, Meta(ge=BIGINT_MIN, le=BIGINT_MAX)]
Finite = Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
Duration = Annotated[str, Meta(pattern=DURATION_PATTERN)]

# Shorthands: a value upstream may leave out, and one it may also send as null.
Text = str | UnsetType
NullableText = str | UnsetType | None
NullableInstant = dt.datetime | UnsetType | None


class Lookup(Struct):
    """``{id, name}`` objects: a spacecraft's ``status``, a configuration's ``type``."""

    id: ObjectId
    name: Text = UNSET


class Agency(Struct):
    """``AgencySerializerDetailedCommon`` (detailed) or ``AgencySerializerMini`` (normal)."""

    id: ObjectId
    url: NullableText = UNSET
    name: Text = UNSET
    featured: bool | UnsetType | None = UNSET
    type: NullableText = UNSET
    country_code: NullableText = UNSET
    abbrev: NullableText = UNSET
    description: NullableText = UNSET
    administrator: NullableText = UNSET
    founding_year: NullableText = UNSET  # a string in 2.2.0 ("1999")
    launchers: NullableText = UNSET
    spacecraft: NullableText = UNSET
    parent: NullableText = UNSET
    image_url: NullableText = UNSET
    logo_url: NullableText = UNSET


class SpacecraftConfig(Struct):
    """``SpacecraftConfigurationDetail`` (detailed) or ``SpacecraftConfig`` (normal)."""

    id: ObjectId
    url: NullableText = UNSET
    name: Text = UNSET
    type: Lookup | UnsetType = UNSET
    agency: Agency | UnsetType = UNSET
    in_use: bool | UnsetType | None = UNSET
    capability: NullableText = UNSET
    history: NullableText = UNSET
    details: NullableText = UNSET
    maiden_flight: dt.date | UnsetType | None = UNSET
    height: Finite | UnsetType | None = UNSET
    diameter: Finite | UnsetType | None = UNSET
    human_rated: bool | UnsetType | None = UNSET
    crew_capacity: Count | UnsetType | None = UNSET
    payload_capacity: Count | UnsetType | None = UNSET
    payload_return_capacity: Count | UnsetType | None = UNSET
    flight_life: NullableText = UNSET
    image_url: NullableText = UNSET
    nation_url: NullableText = UNSET
    wiki_link: NullableText = UNSET
    info_link: NullableText = UNSET


class Spacecraft(Struct):
    """``SpacecraftDetailedNoFlights`` (detailed) or ``Spacecraft`` (normal)."""

    id: ObjectId
    url: NullableText = UNSET
    name: Text = UNSET
    serial_number: NullableText = UNSET
    is_placeholder: bool | UnsetType | None = UNSET
    in_space: bool | UnsetType | None = UNSET
    time_in_space: Duration | UnsetType | None = UNSET
    time_docked: Duration | UnsetType | None = UNSET
    flights_count: Count | UnsetType | None = UNSET
    mission_ends_count: Count | UnsetType | None = UNSET
    status: Lookup | UnsetType = UNSET
    description: NullableText = UNSET
    spacecraft_config: SpacecraftConfig | UnsetType = UNSET


class SpacecraftFlight(Struct):
    """``SpacecraftFlightSerializerForDockingEvent[Detailed]``: the event's ``flight_vehicle``."""

    id: ObjectId
    spacecraft: Spacecraft
    url: NullableText = UNSET
    destination: NullableText = UNSET
    mission_end: NullableInstant = UNSET


class SpaceStation(Struct):
    """``SpaceStationSerializerForDockingEvent``; a location's ``spacestation`` is its subset."""

    id: ObjectId
    url: NullableText = UNSET
    name: Text = UNSET
    image_url: NullableText = UNSET


class DockingLocation(Struct):
    """``DockingLocation``: a port, linked to its station (null in locations older than that)."""

    id: ObjectId
    name: Text = UNSET
    spacestation: SpaceStation | UnsetType | None = UNSET


class DockingEventDetailed(Struct):
    """``DockingEventDetailed``: one docking event as ``?mode=detailed`` and the detail route send.

    ``space_station`` is the detailed form's last key; the normal form has none.
    """

    id: ObjectId
    docking: dt.datetime
    flight_vehicle: SpacecraftFlight
    docking_location: DockingLocation
    launch_id: NullableText = UNSET
    departure: NullableInstant = UNSET
    space_station: SpaceStation | UnsetType = UNSET


class _Identified(Struct):
    id: ObjectId


def describe_id(payload: Any) -> str:
    """The event's id as a log line may quote it: the id, or a clipped repr of what is there."""
    value = payload.get("id", "(none)") if isinstance(payload, Mapping) else "(not an object)"
    text = value if isinstance(value, str) and value.startswith("(") else repr(value)
    return text if len(text) <= _ID_REPR_CHARS else text[: _ID_REPR_CHARS - 1] + "…"


def valid_event_id(payload: Any) -> int | None:
    """The payload's ``id`` when it is a valid 2.2.0 id (1 to 2**63 - 1), else None."""
    try:
        return msgspec.convert(payload, _Identified).id
    except msgspec.ValidationError:
        return None


def validate_event(payload: Any) -> DockingEventDetailed:
    """``payload`` (decoded JSON) as a ``DockingEventDetailed``; raises MalformedEvent.

    The error's message names the first path that breaks the schema and why, without quoting
    the offending value.
    """
    try:
        return msgspec.convert(payload, DockingEventDetailed)
    except msgspec.ValidationError as error:
        raise MalformedEvent(str(error), event_id=describe_id(payload)) from None
