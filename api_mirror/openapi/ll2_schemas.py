"""The LL2 2.2.0 docking-event shapes as OpenAPI 3.1 schemas, under upstream's own schema names.

Names, key sets and key order are those of upstream's published 2.2.0 schema and of its real
answers (``PaginatedDockingEventList``, ``DockingEvent``, ``DockingEventDetailed``,
``SpacecraftFlightSerializerForDockingEvent[Detailed]``, ``Spacecraft``,
``SpacecraftDetailedNoFlights``, ``SpacecraftConfig``, ``SpacecraftConfigurationDetail``,
``AgencySerializerMini``, ``Agency``, …). Every key is required and no other key is allowed,
so a served answer that gains or loses a key fails validation. A value may be null where
upstream's schema marks it optional or its real data holds nulls (``agency.parent``,
``departure`` while docked, ``launch_id``, the config's capacities and links); empty strings
(``details``, ``info_link``) are strings. ``docking_location.spacestation`` is null in the
older form without a station link.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# Durations as upstream writes them: days as the largest unit, whole seconds, zero parts left
# out (``P139DT10H52M14S``, ``P3D``, ``PT5H``), zero as ``P0D``.
DURATION_PATTERN = r"^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"


def ref(name: str) -> Schema:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def strict_object(properties: dict[str, Schema], description: str = "") -> Schema:
    """An object with exactly these keys, all required, in upstream's order."""
    schema: Schema = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


ID = {"type": "integer", "format": "int64", "minimum": 1}
URL = {"type": "string", "format": "uri"}
TEXT = {"type": "string"}
FLAG = {"type": "boolean"}
COUNT = {"type": "integer"}
NUMBER = {"type": "number"}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "description": "UTC with a Z suffix; microseconds only when non-zero.",
}
DATE = {"type": "string", "format": "date"}
DURATION = {"type": "string", "format": "duration", "pattern": DURATION_PATTERN}


def _lookup(description: str) -> Schema:
    return strict_object({"id": ID, "name": TEXT}, description)


def _flight(spacecraft: str, description: str) -> Schema:
    return strict_object(
        {
            "id": ID,
            "url": URL,
            "destination": nullable(TEXT),
            "mission_end": nullable(INSTANT),
            "spacecraft": ref(spacecraft),
        },
        description,
    )


def _spacecraft(config: str, description: str) -> Schema:
    return strict_object(
        {
            "id": ID,
            "url": URL,
            "name": TEXT,
            "serial_number": nullable(TEXT),
            "is_placeholder": FLAG,
            "in_space": FLAG,
            "time_in_space": {**DURATION, "description": "Current at serve time."},
            "time_docked": {**DURATION, "description": "Current at serve time."},
            "flights_count": COUNT,
            "mission_ends_count": COUNT,
            "status": ref("SpacecraftStatus"),
            "description": TEXT,
            "spacecraft_config": ref(config),
        },
        description,
    )


def _event(flight: str, *, detailed: bool, description: str) -> Schema:
    properties: dict[str, Schema] = {
        "id": ID,
        "url": URL,
        "launch_id": nullable({"type": "string", "format": "uuid"}),
        "docking": INSTANT,
        "departure": nullable({**INSTANT, "description": "Null while still docked."}),
        "flight_vehicle": ref(flight),
        "docking_location": ref("DockingLocation"),
    }
    if detailed:
        properties["space_station"] = ref("SpaceStationSerializerForDockingEvent")
    return strict_object(properties, description)


def _page(item: str, description: str) -> Schema:
    return strict_object(
        {
            "count": {"type": "integer", "minimum": 0},
            "next": nullable(URL),
            "previous": nullable(URL),
            "results": {"type": "array", "items": ref(item)},
        },
        description,
    )


LL2_SCHEMAS: dict[str, Schema] = {
    "PaginatedDockingEventList": _page(
        "DockingEvent", "A page of docking events in the normal form (the list's default)."
    ),
    "PaginatedDockingEventDetailedList": _page(
        "DockingEventDetailed",
        "A page of docking events in the detailed form (the list with ?mode=detailed).",
    ),
    "DockingEvent": _event(
        "SpacecraftFlightSerializerForDockingEvent",
        detailed=False,
        description="A docking event, normal form.",
    ),
    "DockingEventDetailed": _event(
        "SpacecraftFlightSerializerForDockingEventDetailed",
        detailed=True,
        description="A docking event, detailed form: the spacecraft's config in full and the "
        "space station.",
    ),
    "SpacecraftFlightSerializerForDockingEvent": _flight(
        "Spacecraft", "The spacecraft flight that docked."
    ),
    "SpacecraftFlightSerializerForDockingEventDetailed": _flight(
        "SpacecraftDetailedNoFlights", "The spacecraft flight that docked, detailed form."
    ),
    "Spacecraft": _spacecraft("SpacecraftConfig", "The spacecraft (the vehicle)."),
    "SpacecraftDetailedNoFlights": _spacecraft(
        "SpacecraftConfigurationDetail", "The spacecraft, with its configuration in full."
    ),
    "SpacecraftStatus": _lookup("The spacecraft's status."),
    "SpacecraftConfigType": _lookup("The kind of spacecraft configuration."),
    "SpacecraftConfig": strict_object(
        {
            "id": ID,
            "url": URL,
            "name": TEXT,
            "type": ref("SpacecraftConfigType"),
            "agency": ref("AgencySerializerMini"),
            "in_use": FLAG,
            "image_url": nullable(TEXT),
        },
        "A spacecraft configuration, short form.",
    ),
    "SpacecraftConfigurationDetail": strict_object(
        {
            "id": ID,
            "url": URL,
            "name": TEXT,
            "type": ref("SpacecraftConfigType"),
            "agency": ref("Agency"),
            "in_use": FLAG,
            "capability": nullable(TEXT),
            "history": nullable(TEXT),
            "details": nullable(TEXT),
            "maiden_flight": nullable(DATE),
            "height": nullable(NUMBER),
            "diameter": nullable(NUMBER),
            "human_rated": nullable(FLAG),
            "crew_capacity": nullable(COUNT),
            "payload_capacity": nullable(COUNT),
            "payload_return_capacity": nullable(COUNT),
            "flight_life": nullable(TEXT),
            "image_url": nullable(TEXT),
            "nation_url": nullable(TEXT),
            "wiki_link": nullable(TEXT),
            "info_link": nullable(TEXT),
        },
        "A spacecraft configuration in full.",
    ),
    "AgencySerializerMini": strict_object(
        {"id": ID, "url": URL, "name": TEXT, "type": nullable(TEXT)}, "An agency, short form."
    ),
    "Agency": strict_object(
        {
            "id": ID,
            "url": URL,
            "name": TEXT,
            "featured": FLAG,
            "type": nullable(TEXT),
            "country_code": TEXT,
            "abbrev": TEXT,
            "description": nullable(TEXT),
            "administrator": nullable(TEXT),
            "founding_year": nullable({**TEXT, "description": "A year, as a string in 2.2.0."}),
            "launchers": TEXT,
            "spacecraft": TEXT,
            "parent": nullable(TEXT),
            "image_url": nullable(TEXT),
            "logo_url": nullable(TEXT),
        },
        "An agency in full.",
    ),
    "DockingLocation": strict_object(
        {
            "id": ID,
            "name": TEXT,
            "spacestation": nullable(ref("SpaceStationSerializerForDocking")),
        },
        "The docking port.",
    ),
    "SpaceStationSerializerForDocking": strict_object(
        {"id": ID, "url": URL, "name": TEXT}, "The station of a docking port."
    ),
    "SpaceStationSerializerForDockingEvent": strict_object(
        {"id": ID, "url": URL, "name": TEXT, "image_url": nullable(TEXT)},
        "The space station docked at.",
    ),
}
