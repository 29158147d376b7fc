"""The notification stream's names and entries, shared by its writers and every reader.

The relay appends one entry per notification to the Redis Stream (its key is the
``DOCKWATCH_STREAM`` setting, passed in by each caller), with one field, ``event``: the
CloudEvent as compact JSON on one line. Readers (consumer-group subscribers, webhook delivery,
the mirror's ``/events``) parse entries here, so the mirror reads the stream without importing
the worker. Entry ids are Redis's ``<milliseconds>-<counter>``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from models.support.compact_json import compact_json

EVENT_FIELD = "event"
DOCKED = "docking_event.docked"
UNDOCKED = "docking_event.undocked"
UPDATED = "docking_event.updated"
REMOVED = "docking_event.removed"
# Every CloudEvent type the stream carries, in the order a reader would list them.
NOTIFICATION_TYPES = (DOCKED, UNDOCKED, UPDATED, REMOVED)
_ENTRY_ID = re.compile(r"[0-9]{1,20}(-[0-9]{1,20})?")


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One entry: its id, the CloudEvent JSON text (one line) and the event parsed from it.

    ``event`` and ``data`` are None for an entry without an ``event`` field (or trimmed away
    while pending), which readers skip.
    """

    entry_id: str
    data: str | None
    event: dict[str, Any] | None

    @property
    def type(self) -> str | None:
        """The CloudEvent ``type``, if any."""
        return None if self.event is None else str(self.event.get("type"))


def text(value: Any) -> str:
    """A Redis reply value (bytes or str) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_entry(entry_id: Any, fields: dict[Any, Any] | None) -> StreamEntry:
    """An entry of an ``XRANGE``/``XREAD``/``XREADGROUP`` reply; raises ValueError when its
    ``event`` field is not a JSON object."""
    raw = {text(key): value for key, value in (fields or {}).items()}.get(EVENT_FIELD)
    if raw is None:
        return StreamEntry(text(entry_id), None, None)
    data = text(raw)
    loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise ValueError(f"the event is JSON {type(loaded).__name__}, not an object")
    event: dict[str, Any] = loaded
    if "\n" in data or "\r" in data:  # not written by the relay: make it one line again
        data = compact_json(event)
    return StreamEntry(text(entry_id), data, event)


def dead_letter_stream(stream: str) -> str:
    """Where entries a consumer kept failing on are moved."""
    return f"{stream}:dead"


def is_entry_id(value: str) -> bool:
    """Whether ``value`` is a stream entry id (``1717171717171-0``, or milliseconds alone).

    Both parts are unsigned 64-bit numbers in Redis: a larger one is no id Redis accepts.
    """
    if _ENTRY_ID.fullmatch(value) is None:
        return False
    return all(int(part) < 2**64 for part in value.split("-"))


def entry_id_key(entry_id: str) -> tuple[int, int]:
    """An entry id as a sortable pair (milliseconds, counter)."""
    millis, _, counter = entry_id.partition("-")
    return int(millis), int(counter or 0)
