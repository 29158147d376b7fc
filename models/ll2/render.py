"""Render a docking event's graph as LL2 2.2.0 JSON: key order, value formats and url rules.

Each object's keys, their order and their formats come from the 2.2.0 declaration
(``models.ll2.v2_2_0``, compiled into one function per form); what is written out here is how an
event's rows hang together (which record each embedded object comes from) and the hooks.

The normal form (list route, notifications) and the detailed form (``mode=detailed``, detail
route) as upstream's serializers write them: ``Z`` instants with microseconds only when
non-zero, durations brought current at render time, ``""`` and ``null`` copied through. The
event's own ``url`` is built on a given base (the mirror's, or upstream's for notifications);
every nested ``url`` is upstream's as stored, and all of them are written for the request as
DRF's ``reverse`` writes them (its ``?format=`` value appended, its format suffix applied: see
``LinkStyle``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from models.ll2 import v2_2_0
from models.ll2.declaration import LL2Object
from models.ll2.form_writer import FormWriter, form_writer
from models.ll2.formats import current_duration
from models.ll2.graph import EventGraph
from models.ll2.records import (
    AgencyRecord,
    ConfigRecord,
    ConfigTypeRecord,
    LocationRecord,
    SpacecraftRecord,
    StationRecord,
    StatusRecord,
)

Mode = Literal["normal", "detailed"]
JSONDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkStyle:
    """How urls are written, as DRF's hyperlinked fields write them for the request.

    ``base`` is the serving base (``http://host:8000/2.2.0``). ``format_param`` is the request's
    ``format`` query value (None: it had none): DRF's ``reverse`` appends ``?format=<value>`` to
    every url, an empty value included. ``format_suffix`` is the format of a format-suffix route
    (``/615.json``): DRF reverses every url with it, so ``…/864/`` becomes ``…/864.json``.
    """

    base: str
    format_param: str | None = None
    format_suffix: str | None = None

    @property
    def suffix(self) -> str:
        """What every url gets appended (``?format=json``), or ``""``."""
        if self.format_param is None:
            return ""
        return "?" + urlencode({"format": self.format_param})

    def link(self, url: str) -> str:
        """``url`` (a path ending in ``/``) written for this request."""
        if self.format_suffix is not None:
            url = url.removesuffix("/") + "." + self.format_suffix
        return url + self.suffix


def _forms(declared: LL2Object) -> tuple[FormWriter, FormWriter]:
    """The (normal, detailed) writers of ``declared``: indexed by ``detailed``."""
    return form_writer(declared, v2_2_0.NORMAL), form_writer(declared, v2_2_0.DETAILED)


_EVENT = _forms(v2_2_0.EVENT)
_FLIGHT = _forms(v2_2_0.FLIGHT)
_SPACECRAFT = _forms(v2_2_0.SPACECRAFT)
_CONFIG = _forms(v2_2_0.CONFIG)
_AGENCY = _forms(v2_2_0.AGENCY)
_STATUS = form_writer(v2_2_0.STATUS, v2_2_0.NORMAL)
_CONFIG_TYPE = form_writer(v2_2_0.CONFIG_TYPE, v2_2_0.NORMAL)
_LOCATION = form_writer(v2_2_0.LOCATION, v2_2_0.NORMAL)
_STATION_LINK = form_writer(v2_2_0.STATION, v2_2_0.LINK)
_STATION = form_writer(v2_2_0.STATION, v2_2_0.FULL)


class Writer:
    """Serializes graphs for one request (one link style, one clock reading).

    Every value that depends on the request, the clock or a row other events share goes through
    a method of its own (``event_url``, ``url``, ``duration``, the ``embedded_*`` ones), so
    ``models.ll2.template`` renders the same shape with marks in their place.
    """

    __slots__ = ("links", "now", "suffix")

    def __init__(self, links: LinkStyle, now: dt.datetime) -> None:
        self.links = links
        self.suffix = links.suffix
        self.now = now

    def url(self, stored: str | None) -> Any:
        """A stored (upstream) url as this request writes it; None stays None."""
        if stored is None:
            return None
        if self.links.format_suffix is None:
            return stored + self.suffix
        return self.links.link(stored)

    def event_url(self, ident: int) -> Any:
        """The event's own url, on the serving base."""
        return self.url(f"{self.links.base}/docking_event/{ident}/")

    def duration(
        self, stored: int | None, fetched_at: dt.datetime | None, growing: bool, _name: str
    ) -> Any:
        """``time_in_space`` or ``time_docked`` (``_name``) brought current at ``now``."""
        return current_duration(stored, fetched_at, growing, self.now)

    def event(self, graph: EventGraph, detailed: bool) -> JSONDict:
        """The event in normal form, or in detailed form (``space_station`` last)."""
        flight = graph.flight
        vehicle = (
            None
            if flight is None
            else _FLIGHT[detailed](self, flight, spacecraft=self.spacecraft(graph, detailed))
        )
        location = self.embedded_location(graph)
        if not detailed:
            return _EVENT[False](
                self, graph.event, flight_vehicle=vehicle, docking_location=location
            )
        return _EVENT[True](
            self,
            graph.event,
            flight_vehicle=vehicle,
            docking_location=location,
            space_station=self.embedded_station(graph),
        )

    def spacecraft(self, graph: EventGraph, detailed: bool) -> JSONDict | None:
        """``flight_vehicle.spacecraft``, its config in the mode's form (None: no spacecraft)."""
        craft: SpacecraftRecord | None = graph.spacecraft
        if craft is None:
            return None
        fetched_at = craft.durations_fetched_at
        growing_docked = graph.spacecraft_has_open_docking
        return _SPACECRAFT[detailed](
            self,
            craft,
            time_in_space=self.duration(
                craft.time_in_space_seconds, fetched_at, bool(craft.in_space), "time_in_space"
            ),
            time_docked=self.duration(
                craft.time_docked_seconds, fetched_at, growing_docked, "time_docked"
            ),
            status=self.embedded_status(graph),
            spacecraft_config=self.embedded_config(graph, detailed),
        )

    # The rows other events share: statuses, configs (with their type and agency), locations
    # (with their station link) and stations.

    def embedded_status(self, graph: EventGraph) -> Any:
        """The spacecraft's status as the event embeds it."""
        return self.status(graph.status)

    def embedded_config(self, graph: EventGraph, detailed: bool) -> Any:
        """The spacecraft's config (normal or detailed form) as the event embeds it."""
        if detailed:
            return self.config(graph.config, graph.config_type, graph.agency)
        return self.config_normal(graph.config, graph.config_type, graph.agency)

    def embedded_location(self, graph: EventGraph) -> Any:
        """``docking_location`` as the event embeds it."""
        return self.location(graph.location, graph.location_station)

    def embedded_station(self, graph: EventGraph) -> Any:
        """The detailed form's ``space_station`` as the event embeds it."""
        return self.station(graph.space_station)

    def status(self, status: StatusRecord | None) -> JSONDict | None:
        """``{id, name}`` or None."""
        return None if status is None else _STATUS(self, status)

    def config_normal(
        self,
        config: ConfigRecord | None,
        kind: ConfigTypeRecord | None,
        agency: AgencyRecord | None,
    ) -> JSONDict | None:
        """The normal form of a spacecraft config (its agency in the mini form) or None."""
        if config is None:
            return None
        mini = None if agency is None else _AGENCY[False](self, agency)
        return _CONFIG[False](self, config, type=self.config_type(kind), agency=mini)

    def config(
        self,
        config: ConfigRecord | None,
        kind: ConfigTypeRecord | None,
        agency: AgencyRecord | None,
    ) -> JSONDict | None:
        """The detailed form of a spacecraft config (its agency in full) or None."""
        if config is None:
            return None
        return _CONFIG[True](self, config, type=self.config_type(kind), agency=self.agency(agency))

    def config_type(self, kind: ConfigTypeRecord | None) -> JSONDict | None:
        """``{id, name}`` or None."""
        return None if kind is None else _CONFIG_TYPE(self, kind)

    def agency(self, agency: AgencyRecord | None) -> JSONDict | None:
        """The full agency (AGENCY-FULL) or None."""
        return None if agency is None else _AGENCY[True](self, agency)

    def location(
        self, location: LocationRecord | None, station: StationRecord | None
    ) -> JSONDict | None:
        """``{id, name, spacestation}`` (the station link null when missing) or None."""
        if location is None:
            return None
        # 2.2.0's serializer always writes the key; a missing station link renders as null.
        link = None if station is None else _STATION_LINK(self, station)
        return _LOCATION(self, location, spacestation=link)

    def station(self, station: StationRecord | None) -> JSONDict | None:
        """``{id, url, name, image_url}`` or None."""
        return None if station is None else _STATION(self, station)


def serialize_event(
    graph: EventGraph, *, mode: Mode, links: LinkStyle, now: dt.datetime
) -> JSONDict:
    """One docking event as the mirror serves it (``now`` brings the durations current)."""
    return Writer(links, now).event(graph, mode == "detailed")


def serialize_events(
    graphs: list[EventGraph], *, mode: Mode, links: LinkStyle, now: dt.datetime
) -> list[JSONDict]:
    """Several events with one link style and one clock reading."""
    writer, detailed = Writer(links, now), mode == "detailed"
    return [writer.event(graph, detailed) for graph in graphs]
