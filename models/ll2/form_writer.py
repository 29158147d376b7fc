"""Form writers: functions writing one form of a declared LL2 object from its record.

``form_writer`` compiles a form's declaration into the function a hand-written serializer would
be (one dict display), since render time is ingest time (``models.ll2.template``): reading every
key through a generic loop costs the mirror twice as much per event. ``models.ll2.render``
calls them with its hooks for urls, and with the values only it knows.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from models.ll2.declaration import Kind, LL2Object
from models.ll2.formats import format_date, format_datetime

JSONDict = dict[str, Any]
# The kinds whose value the caller supplies: embedded objects (found through the event's rows,
# or marked by the template writer) and durations (brought current at render time).
_SUPPLIED = frozenset({Kind.OBJECT, Kind.DURATION})
# How a column becomes its value, for the kinds not copied as they are (``{}``: the column).
_VALUES = {
    Kind.SELF_URL: "writer.event_url({})",
    Kind.URL: "writer.url({})",
    Kind.INSTANT: "format_datetime({})",
    Kind.DATE: "format_date({})",
}
_GLOBALS = {"format_datetime": format_datetime, "format_date": format_date}
_RESERVED = frozenset({"writer", "record", *_GLOBALS})

FormWriter = Callable[..., JSONDict]


def _name(text: str) -> str:
    """``text`` when it can be a Python name in a form writer; raises ValueError otherwise."""
    if not text.isidentifier() or keyword.iskeyword(text) or text in _RESERVED:
        raise ValueError(f"{text!r} cannot be a name in a form writer")
    return text


def form_writer(declared: LL2Object, form: str) -> FormWriter:
    """A function writing the form ``form`` of ``declared``: ``(writer, record, **supplied)``.

    It returns the form's JSON dict, keys in upstream's order: each key's column read from
    ``record`` (a record of ``models.ll2.records``) and written as its kind says, urls through
    ``writer.url``/``writer.event_url``; the embedded objects and durations are the keyword
    arguments named as their keys (a missing or extra one is a TypeError). The function is
    compiled from the declaration to the dict display a hand-written one would be, as render
    time is ingest time (``models.ll2.template``). Raises KeyError for no such form.
    """
    keys = declared.keys_of(form)
    supplied = [_name(key.name) for key in keys if key.kind in _SUPPLIED]
    items = []
    for key in keys:
        column = f"record.{_name(key.column)}"
        # A supplied value is the keyword argument of its name; any other, its column's.
        value = key.name if key.kind in _SUPPLIED else _VALUES.get(key.kind, "{}").format(column)
        items.append(f"{key.name!r}: {value}")
    parameters = ", ".join(["writer", "record", *(["*", *supplied] if supplied else [])])
    source = f"def write({parameters}):\n    return {{{', '.join(items)}}}\n"
    namespace: dict[str, Any] = dict(_GLOBALS)
    exec(compile(source, f"<ll2 {declared.name} {form}>", "exec"), namespace)
    write: FormWriter = namespace["write"]
    write.__qualname__ = write.__name__ = f"write_{declared.name}_{form}"
    write.__doc__ = f"{declared.forms[form].schema_name} from a {declared.table} record."
    return write
