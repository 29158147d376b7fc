"""A notification as MQTT messages (QoS 1, never retained).

Every notification goes to ``<prefix>/events`` as its CloudEvent, unchanged. The one of a
station (its event's port names it) also goes to ``<prefix>/station/<id>/event`` in the shape
of Home Assistant's event entity: ``event_type`` (``docked``, ``undocked``, ``updated``,
``removed``) and, as the event's attributes, the docking event's id, vehicle, port, station,
the notification's ``time`` and ``id``.
"""

from __future__ import annotations

from typing import Any

from models.fleet.stream import NOTIFICATION_TYPES
from models.support.compact_json import compact_json
from worker.notify.mqtt.broker import Message
from worker.notify.mqtt.topics import Topics

_PREFIX = "docking_event."


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def event_messages(event: dict[str, Any], topics: Topics) -> list[Message]:
    """The messages of one CloudEvent from the stream."""
    messages = [Message(topics.events, compact_json(event), retain=False)]
    kind = str(event.get("type", ""))
    docking_event = _get(event, "data", "docking_event")
    station = _get(docking_event, "docking_location", "spacestation") or _get(
        docking_event, "space_station"
    )
    station_id = _get(station, "id")
    if kind not in NOTIFICATION_TYPES or not isinstance(station_id, int):
        return messages
    subject = event.get("subject")
    payload = {
        "event_type": kind.removeprefix(_PREFIX),
        "event_id": int(subject) if isinstance(subject, str) and subject.isdigit() else subject,
        "vehicle": _get(docking_event, "flight_vehicle", "spacecraft", "name"),
        "port": _get(docking_event, "docking_location", "name"),
        "station": _get(station, "name"),
        "time": event.get("time"),
        "id": event.get("id"),
    }
    messages.append(Message(topics.station_events(station_id), compact_json(payload), False))
    return messages
