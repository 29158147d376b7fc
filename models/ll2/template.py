"""Templates: a docking event's JSON rendered once, with marks where the request, the clock or a
shared row goes.

A template is the event's compact JSON text (as ``models.ll2.render`` writes it, DRF's escaping of
U+2028/U+2029 included) in which ASCII control characters mark the places that change without
the event changing. Compact JSON never holds a raw control character (its encoder writes them
as ``\\uXXXX``), so the marks cannot clash with data:

- ``BASE``: the serving base (``http://host:8000/2.2.0``), in the event's own ``url``;
- ``SLASH_END`` / ``PLAIN_END``: the end of a url that did / did not end in ``/``: there DRF's
  ``reverse`` applies a format suffix (``/864/`` becomes ``/864.json``) and appends the
  request's ``?format=`` value (see ``LinkStyle``);
- ``IN_SPACE`` / ``DOCKED``: the text of a growing ``time_in_space`` / ``time_docked`` (a
  duration that does not grow is written as it is);
- ``REF kind id REF``: a row other events share, by id: ``s`` a spacecraft status, ``c`` a
  spacecraft config (its normal or detailed form, with its type and agency), ``l`` a docking
  location (with its station link), ``t`` a space station. Fragments (``render_fragments``)
  hold their JSON, marked the same way; a ref to a row that does not exist is ``null``, as
  ``load_graphs`` leaves a missing row out;
- ``DETAILED … DETAILED``: what only the detailed form has (``,"space_station":…``).

So one template serves both modes and every link style, and a change to a shared row changes
its fragment, not the templates of the events that embed it. ``style_ends`` gives what the two
url ends become for a request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import urlencode

from models.ll2.formats import format_duration
from models.ll2.graph import EventGraph
from models.ll2.records import EmbeddedRows
from models.ll2.render import LinkStyle, Writer
from models.support.compact_json import compact_json

BASE = "\x01"
SLASH_END = "\x02"
PLAIN_END = "\x03"
IN_SPACE = "\x04"
DOCKED = "\x05"
REF = "\x06"
DETAILED = "\x07"

STATUS, CONFIG, LOCATION, STATION = "s", "c", "l", "t"
_DURATION_MARKS = {"time_in_space": IN_SPACE, "time_docked": DOCKED}
_UNUSED = LinkStyle(base="")


def json_string_text(value: str) -> str:
    """``value`` as it appears between the quotes of a JSON string in the mirror's answers."""
    return escape_separators(compact_json(value)[1:-1])


def escape_separators(text: str) -> str:
    """DRF's JSONRenderer escapes U+2028 and U+2029 (they break JavaScript)."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _Raw:
    """Template text placed as it is (already JSON, marks included)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _encode(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        # What ``compact_json`` writes for a str (ensure_ascii off), without the encoder's
        # per-call set-up: most of a template is short strings.
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is _Raw:
        out.append(value.text)
    elif isinstance(value, dict):
        out.append("{")
        separator = ""
        for key, item in value.items():
            name = separator + (encode_basestring(key) if type(key) is str else compact_json(key))
            separator = ","
            # The commonest members inline (a call per member is most of a template's cost).
            item_kind = type(item)
            if item_kind is str:
                out.append(name + ":" + encode_basestring(item))
            elif item is None:
                out.append(name + ":null")
            elif item_kind is _Raw:
                out.append(name + ":" + item.text)
            else:
                out.append(name + ":")
                _encode(item, out)
        out.append("}")
    else:
        out.append(compact_json(value))


def encode(value: Any) -> str:
    """Compact JSON text of a body holding marks (``Writer`` output of ``TemplateWriter``)."""
    out: list[str] = []
    _encode(value, out)
    return escape_separators("".join(out))


def _ref(kind: str, ident: int | None) -> _Raw | None:
    return None if ident is None else _Raw(f"{REF}{kind}{ident}{REF}")


class TemplateWriter(Writer):
    """``Writer`` with marks for the request, the clock and the shared rows."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_UNUSED, dt.datetime.min.replace(tzinfo=dt.UTC))

    def url(self, stored: str | None) -> Any:
        if stored is None:
            return None
        if stored.endswith("/"):
            return _Raw(f'"{json_string_text(stored[:-1])}{SLASH_END}"')
        return _Raw(f'"{json_string_text(stored)}{PLAIN_END}"')

    def event_url(self, ident: int) -> Any:
        return _Raw(f'"{BASE}/docking_event/{ident}{SLASH_END}"')

    def duration(
        self, stored: int | None, fetched_at: dt.datetime | None, growing: bool, name: str
    ) -> Any:
        if stored is None:
            return None
        if growing and fetched_at is not None:
            return _Raw(f'"{_DURATION_MARKS[name]}"')
        return format_duration(stored)

    def embedded_status(self, graph: EventGraph) -> Any:
        craft = graph.spacecraft
        return None if craft is None else _ref(STATUS, craft.status_id)

    def embedded_config(self, graph: EventGraph, detailed: bool) -> Any:
        craft = graph.spacecraft
        return None if craft is None else _ref(CONFIG, craft.spacecraft_config_id)

    def embedded_location(self, graph: EventGraph) -> Any:
        return _ref(LOCATION, graph.event.docking_location_id)

    def embedded_station(self, graph: EventGraph) -> Any:
        return _ref(STATION, graph.event.space_station_id)


def render_template(graph: EventGraph) -> str:
    """The event's template (both modes: the detailed-only part between ``DETAILED`` marks)."""
    body = TemplateWriter().event(graph, detailed=True)
    station = body.pop("space_station")
    text = encode(body)
    return f'{text[:-1]}{DETAILED},"space_station":{encode(station)}{DETAILED}}}'


def growing_durations(graph: EventGraph) -> tuple[int | None, int | None, dt.datetime | None]:
    """What the template's ``IN_SPACE``/``DOCKED`` marks count from: the stored seconds of each
    growing duration (None: not growing, or no mark) and the instant they were fetched."""
    craft = graph.spacecraft
    if craft is None or craft.durations_fetched_at is None:
        return None, None, None
    in_space = craft.time_in_space_seconds if craft.in_space else None
    docked = craft.time_docked_seconds if graph.spacecraft_has_open_docking else None
    return in_space, docked, craft.durations_fetched_at


def _get(rows: Mapping[int, Any], ident: int | None) -> Any:
    return None if ident is None else rows.get(ident)


def render_fragments(rows: EmbeddedRows) -> dict[str, tuple[str, str]]:
    """Each shared row's JSON by ref (``"c25"``): its (normal, detailed) forms, url ends marked."""
    writer = TemplateWriter()
    fragments: dict[str, tuple[str, str]] = {}
    for ident, status in rows.statuses.items():
        text = encode(writer.status(status))
        fragments[f"{STATUS}{ident}"] = (text, text)
    for ident, config in rows.configs.items():
        kind = _get(rows.config_types, config.type_id)
        agency = _get(rows.agencies, config.agency_id)
        fragments[f"{CONFIG}{ident}"] = (
            encode(writer.config_normal(config, kind, agency)),
            encode(writer.config(config, kind, agency)),
        )
    for ident, location in rows.locations.items():
        text = encode(writer.location(location, _get(rows.stations, location.spacestation_id)))
        fragments[f"{LOCATION}{ident}"] = (text, text)
    for ident, station in rows.stations.items():
        text = encode(writer.station(station))
        fragments[f"{STATION}{ident}"] = (text, text)
    return fragments


def style_ends(links: LinkStyle) -> tuple[str, str]:
    """What ``SLASH_END`` and ``PLAIN_END`` become under a request's link style."""
    if links.format_param is None and links.format_suffix is None:
        return "/", ""
    param = "" if links.format_param is None else "?" + urlencode({"format": links.format_param})
    if links.format_suffix is None:
        return "/" + param, param
    suffixed = "." + links.format_suffix + param
    return suffixed, suffixed
