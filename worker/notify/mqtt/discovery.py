"""Home Assistant's MQTT device discovery: one device per space station.

``<discovery prefix>/device/<node>_station_<id>/config``, retained, holds the device (``dev``),
the origin (``o``: dockwatch and its version), the availability topic shared by every entity
(``online``/``offline``, the publisher's last will) and the entities under ``cmps``, each with
its platform ``p``, ``unique_id``, ``default_entity_id`` (not the removed ``object_id``),
``state_topic`` and ``value_template``:

- a ``sensor`` per docking port: the occupant's vehicle (or ``empty``), the rest of the payload
  as attributes (``json_attributes_topic``);
- ``docked``: how many vehicles are docked, their list as attributes;
- ``last_docking`` and ``last_undocking``: ``device_class: timestamp`` sensors;
- ``notification``: an ``event`` entity with the types docked, undocked, updated, removed (its
  messages are never retained: Home Assistant drops retained event messages);
- ``freshness``: a timestamp sensor of the last successful sync (diagnostic).

A device never names a ``via_device``. Entities keep their last state while upstream is
unreachable: only the publisher's own stop makes them unavailable.
"""

from __future__ import annotations

from typing import Any

from models.support.compact_json import compact_json
from worker.notify.mqtt.broker import QOS, Message
from worker.notify.mqtt.state import Fleet, Station
from worker.notify.mqtt.topics import OFFLINE, ONLINE, Topics, slug

EVENT_TYPES = ("docked", "undocked", "updated", "removed")
STATE = "{{ value_json.state }}"


def device_config(station: Station, topics: Topics, version: str) -> dict[str, Any]:
    """The discovery payload of one station's device."""
    device_id = topics.device_id(station.id)
    entity = f"{topics.node}_{slug(station.name)}"

    def component(key: str, platform: str, name: str, **options: Any) -> tuple[str, Any]:
        return key, {
            "p": platform,
            "name": name,
            "unique_id": f"{device_id}_{key}",
            "default_entity_id": f"{platform}.{entity}_{key}",
            **options,
        }

    def sensor(key: str, name: str, topic: str, **options: Any) -> tuple[str, Any]:
        return component(
            key,
            "sensor",
            name,
            state_topic=topic,
            value_template=STATE,
            json_attributes_topic=topic,
            **options,
        )

    components = dict(
        [
            *(
                sensor(
                    f"port_{port.id}",
                    port.name,
                    topics.port(station.id, port.id),
                    icon="mdi:rocket-launch",
                )
                for port in station.ports
            ),
            sensor(
                "docked",
                "Docked vehicles",
                topics.docked(station.id),
                unit_of_measurement="vehicles",
                state_class="measurement",
                icon="mdi:space-station",
            ),
            sensor(
                "last_docking",
                "Last docking",
                topics.last_docking(station.id),
                device_class="timestamp",
            ),
            sensor(
                "last_undocking",
                "Last undocking",
                topics.last_undocking(station.id),
                device_class="timestamp",
            ),
            component(
                "notification",
                "event",
                "Notification",
                state_topic=topics.station_events(station.id),
                event_types=list(EVENT_TYPES),
                icon="mdi:bell-ring",
            ),
            sensor(
                "freshness",
                "Last successful sync",
                topics.freshness,
                device_class="timestamp",
                entity_category="diagnostic",
            ),
        ]
    )
    return {
        "dev": {
            "ids": [device_id],
            "name": station.name,
            "mf": "dockwatch",
            "mdl": "Space station (Launch Library 2)",
            "sw": version,
        },
        "o": {"name": "dockwatch", "sw": version},
        "availability_topic": topics.status,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "qos": QOS,
        "cmps": components,
    }


def discovery_messages(fleet: Fleet, topics: Topics, version: str) -> list[Message]:
    """One retained discovery message per station."""
    return [
        Message(
            topics.device_config(station.id),
            compact_json(device_config(station, topics, version)),
            retain=True,
        )
        for station in fleet.stations
    ]
