"""The LL2 2.2.0 docking-event shapes as OpenAPI 3.1 schemas, under upstream's own schema names.

The objects' schemas are made from the 2.2.0 declaration (``models.ll2.v2_2_0``), one per form;
names, key sets and key order are those of upstream's published 2.2.0 schema and of its real
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

from models.ll2 import v2_2_0
from models.ll2.declaration import Key, Kind, LL2Object

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


UUID = {"type": "string", "format": "uuid"}
# Each kind of key's schema (``OBJECT``: a reference to the embedded form's schema).
_KINDS: dict[Kind, Schema] = {
    Kind.ID: ID,
    Kind.SELF_URL: URL,
    Kind.URL: URL,
    Kind.TEXT: TEXT,
    Kind.UUID: UUID,
    Kind.FLAG: FLAG,
    Kind.COUNT: COUNT,
    Kind.NUMBER: NUMBER,
    Kind.INSTANT: INSTANT,
    Kind.DATE: DATE,
    Kind.DURATION: DURATION,
}


def key_schema(key: Key, form: str) -> Schema:
    """The schema of ``key`` in the form ``form`` of its object (its description, if any, in)."""
    if key.target is not None:
        schema = ref(key.target.forms[key.embedded_form(form)].schema_name)
    else:
        schema = _KINDS[key.kind]
        if key.doc:
            schema = {**schema, "description": key.doc}
    return nullable(schema) if key.nullable else schema


def form_schemas(objects: tuple[LL2Object, ...]) -> dict[str, Schema]:
    """Every form of every object as a strict object schema, by upstream's schema name."""
    return {
        form.schema_name: strict_object(
            {key.name: key_schema(key, name) for key in declared.keys_of(name)},
            form.description,
        )
        for declared in objects
        for name, form in declared.forms.items()
    }


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
    **form_schemas(v2_2_0.OBJECTS),
}
