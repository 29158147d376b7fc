"""LL2 2.2.0's detailed docking event as a schema: what upstream JSON must look like to be used.

Upstream is untrusted input, so every event the sync applies is converted with msgspec into
these ``Struct``\\s first (``validate_event``); anything that does not fit is a
``MalformedEvent`` naming the first offending path (``$.flight_vehicle.spacecraft.name``),
never a crash further in. The structs are made from the 2.2.0 declaration
(``models.ll2.v2_2_0``): one per object, with every key of its forms (``DockingEventDetailed``,
``SpacecraftFlight``, ``Spacecraft``, ``SpacecraftConfig``, ``Agency``, ``Lookup``, …). The rules:

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
from typing import Annotated, Any, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from models.ll2 import v2_2_0
from models.ll2.declaration import Key, Kind, LL2Object, Upstream
from models.ll2.errors import MalformedEvent
from models.ll2.formats import DURATION_PATTERN
from models.support.limits import BIGINT_MAX, BIGINT_MIN

# How much of a value that is not a valid id a log line may quote.
_ID_REPR_CHARS = 40

ObjectId = Annotated[int, Meta(gt=0, le=BIGINT_MAX)]
Count = Annotated[int, Meta(ge=BIGINT_MIN, le=BIGINT_MAX)]
Finite = Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
Duration = Annotated[str, Meta(pattern=DURATION_PATTERN)]

# The value each kind of key holds (``OBJECT``: the embedded object's struct).
_TYPES: dict[Kind, Any] = {
    Kind.ID: ObjectId,
    Kind.URL: str,
    Kind.TEXT: str,
    Kind.UUID: str,
    Kind.FLAG: bool,
    Kind.COUNT: Count,
    Kind.NUMBER: Finite,
    Kind.INSTANT: dt.datetime,
    Kind.DATE: dt.date,
    Kind.DURATION: Duration,
}


def _field(key: Key, structs: dict[str, type[Struct]]) -> tuple[str, Any] | tuple[str, Any, Any]:
    """``key`` as a ``defstruct`` field: ``(name, type)`` when required, else with ``UNSET``."""
    if key.target is not None:
        value: Any = _struct(key.target, structs)
    else:
        value = _TYPES[key.kind]
    if key.upstream is Upstream.REQUIRED:
        return (key.name, value)
    if key.upstream is Upstream.NULLABLE:
        return (key.name, Union[value, UnsetType, None], UNSET)  # noqa: UP007
    return (key.name, Union[value, UnsetType], UNSET)  # noqa: UP007


def _struct(declared: LL2Object, structs: dict[str, type[Struct]]) -> type[Struct]:
    """The struct validating ``declared`` (every key of every form), made once per struct name.

    Required keys come first (a struct's fields with defaults follow those without), each group
    in upstream's order; keys the mirror does not read from upstream are left out.
    """
    made = structs.get(declared.struct)
    if made is not None:
        return made
    read = [key for key in declared.keys if key.upstream is not Upstream.IGNORED]
    required = [key for key in read if key.upstream is Upstream.REQUIRED]
    optional = [key for key in read if key.upstream is not Upstream.REQUIRED]
    fields = [_field(key, structs) for key in required + optional]
    made = msgspec.defstruct(declared.struct, fields, namespace={"__doc__": declared.doc})
    structs[declared.struct] = made
    return made


def structs_of(objects: tuple[LL2Object, ...]) -> dict[str, type[Struct]]:
    """The validating struct of every object (and of the objects they embed), by struct name.

    Raises ValueError when two objects sharing a struct name declare different keys.
    """
    structs: dict[str, type[Struct]] = {}
    by_name: dict[str, LL2Object] = {}
    for declared in objects:
        other = by_name.setdefault(declared.struct, declared)
        if [(k.name, k.kind, k.upstream) for k in other.keys] != [
            (k.name, k.kind, k.upstream) for k in declared.keys
        ]:
            raise ValueError(f"{other.name} and {declared.name} share {declared.struct}")
        _struct(declared, structs)
    return structs


STRUCTS = structs_of(v2_2_0.OBJECTS)
# What events are read as, and the struct the parser tells apart by type (``type[Any]``: their
# attributes are the declaration's keys, which mypy cannot see).
DockingEventDetailed: type[Any] = STRUCTS[v2_2_0.EVENT.struct]
SpaceStation: type[Any] = STRUCTS[v2_2_0.STATION.struct]


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


def validate_event(payload: Any) -> Any:
    """``payload`` (decoded JSON) as a ``DockingEventDetailed`` struct; raises MalformedEvent.

    The error's message names the first path that breaks the schema and why, without quoting
    the offending value.
    """
    try:
        return msgspec.convert(payload, DockingEventDetailed)
    except msgspec.ValidationError as error:
        raise MalformedEvent(str(error), event_id=describe_id(payload)) from None
