"""Every topic the publisher writes, from its two prefixes.

Under ``prefix`` (``DOCKWATCH_MQTT_TOPIC_PREFIX``): ``status`` (availability: ``online`` /
``offline``, retained, the last will), ``freshness``, ``events`` (every notification's
CloudEvent) and per station ``station/<id>/docked``, ``…/last_docking``, ``…/last_undocking``,
``…/event`` and per port ``…/port/<id>``. Under ``discovery`` (``DOCKWATCH_MQTT_DISCOVERY_PREFIX``):
``device/<node>_station_<id>/config``, one per station. Ids are upstream's numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ONLINE = "online"
OFFLINE = "offline"
_NOT_IN_AN_ID = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """``text`` as lower-case letters, digits and single underscores (``ISS (Zarya)`` →
    ``iss_zarya``); ``x`` when nothing is left."""
    return _NOT_IN_AN_ID.sub("_", text.lower()).strip("_") or "x"


@dataclass(frozen=True)
class Topics:
    """The topic names of one publisher."""

    prefix: str
    discovery: str

    @property
    def node(self) -> str:
        """This installation's id in discovery ids (the topic prefix as a slug)."""
        return slug(self.prefix)

    @property
    def status(self) -> str:
        """Availability: ``online`` while the publisher runs, else ``offline`` (last will)."""
        return f"{self.prefix}/status"

    @property
    def freshness(self) -> str:
        """When a sync last brought the local copy up to date with upstream."""
        return f"{self.prefix}/freshness"

    @property
    def events(self) -> str:
        """Every notification, its CloudEvent as JSON (not retained)."""
        return f"{self.prefix}/events"

    def station(self, station_id: int) -> str:
        """The station's own topics start here."""
        return f"{self.prefix}/station/{station_id}"

    def docked(self, station_id: int) -> str:
        """The count and list of the vehicles docked at the station."""
        return f"{self.station(station_id)}/docked"

    def port(self, station_id: int, port_id: int) -> str:
        """The port's occupant, or none."""
        return f"{self.station(station_id)}/port/{port_id}"

    def last_docking(self, station_id: int) -> str:
        """The station's latest docking."""
        return f"{self.station(station_id)}/last_docking"

    def last_undocking(self, station_id: int) -> str:
        """The station's latest undocking."""
        return f"{self.station(station_id)}/last_undocking"

    def station_events(self, station_id: int) -> str:
        """The station's notifications for Home Assistant's event entity (not retained)."""
        return f"{self.station(station_id)}/event"

    def device_id(self, station_id: int) -> str:
        """The station's device id in discovery (``dockwatch_station_4``)."""
        return f"{self.node}_station_{station_id}"

    def device_config(self, station_id: int) -> str:
        """The station's device discovery topic."""
        return f"{self.discovery}/device/{self.device_id(station_id)}/config"
