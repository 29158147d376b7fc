"""Turn one semantic change to a docking event into a CloudEvents 1.0 JSON object.

The envelope is CloudEvents 1.0 (structured JSON): ``specversion``, ``id``, ``source`` (the
event's upstream URL), ``type``, ``subject`` (the event id), ``time``, ``sequence``,
``datacontenttype`` and ``data`` (``docking_event`` and ``changes``). Choices left open:

- ``id`` is a hash of the change itself: subject, transition, the new field values and the
  event's revision (its ``row_version`` after the change and the number of removals recorded
  for it before). A re-sync that finds the same change computes the same id; a genuinely new
  change (even one that flips a value back, or an event re-created after a removal) gets a
  new one.
- ``sequence`` uses the CloudEvents *sequence* extension, whose value must be a string that
  orders lexicographically: the per-subject counter as a zero-padded decimal
  (``SEQUENCE_DIGITS`` wide), so a plain string compare and ``int()`` agree.
- ``time`` is the upstream instant the change is about: the docking for ``docked``, the
  departure for ``undocked``, the changed instant for ``updated``. A removal has no upstream
  instant, so ``removed`` carries the moment the removal was confirmed.
- ``data.changes`` maps each changed field to ``[old, new]``. ``docked`` lists, as
  ``[null, value]``, only the fields that have a value: a field still null (``departure`` while
  docked) did not change, so ``[null, null]`` never appears. ``removed`` lists none
  (``data.docking_event`` holds the last state).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from models.fleet.stream import DOCKED, REMOVED, UNDOCKED, UPDATED
from models.ll2.formats import format_instant
from worker.sync.changes import Change, ChangeKind

SPECVERSION = "1.0"
# Ten digits: ten billion changes to one docking event before the string order breaks.
SEQUENCE_DIGITS = 10
FIELDS = ("docking", "departure", "docking_location", "space_station", "flight_vehicle")

EVENT_TYPES: dict[ChangeKind, str] = {
    ChangeKind.CREATED: DOCKED,
    ChangeKind.DEPARTURE_SET: UNDOCKED,
    ChangeKind.DEPARTURE_CLEARED: UPDATED,
    ChangeKind.UPDATED: UPDATED,
    ChangeKind.REMOVED: REMOVED,
}

JSONDict = dict[str, Any]


def rfc3339(value: dt.datetime) -> str:
    """An aware datetime as RFC 3339 in UTC with ``Z`` (microseconds only when non-zero)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in a notification")
    return format_instant(value)


def json_value(value: Any) -> Any:
    """A change value as JSON: datetimes as RFC 3339, everything else (ids, null) as is."""
    return rfc3339(value) if isinstance(value, dt.datetime) else value


def format_sequence(number: int) -> str:
    """The per-subject counter as the sequence extension's lexicographically ordered string."""
    if not 0 < number < 10**SEQUENCE_DIGITS:
        raise ValueError(f"sequence {number} out of range")
    return str(number).zfill(SEQUENCE_DIGITS)


def state_fields(docking_event: JSONDict, space_station_id: int | None) -> dict[str, Any]:
    """The five notified fields of a serialized event (normal mode has no space_station key)."""

    def ident(key: str) -> Any:
        nested = docking_event.get(key)
        return nested.get("id") if isinstance(nested, dict) else None

    return {
        "docking": docking_event.get("docking"),
        "departure": docking_event.get("departure"),
        "docking_location": ident("docking_location"),
        "space_station": space_station_id,
        "flight_vehicle": ident("flight_vehicle"),
    }


def data_changes(change: Change, state: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the notification's ``data.changes``."""
    if change.kind is ChangeKind.CREATED:
        return {name: [None, state[name]] for name in FIELDS if state[name] is not None}
    if change.kind is ChangeKind.REMOVED:
        return {}
    return {
        name: [json_value(old), json_value(new)]
        for name, (old, new) in sorted(change.fields.items())
    }


def event_id(change: Change, changes: dict[str, list[Any]], revision: str) -> str:
    """The deterministic CloudEvent id of a change (128 bits of SHA-256, hex)."""
    identity = {
        "subject": change.event_id,
        "kind": change.kind.value,
        "new": {name: pair[1] for name, pair in changes.items()},
        "revision": revision,
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def event_time(change: Change, now: dt.datetime) -> dt.datetime:
    """The upstream instant a change is about (see the module docstring)."""
    if change.kind is ChangeKind.REMOVED:
        return now
    departure_changed = change.kind is ChangeKind.DEPARTURE_SET or "departure" in change.fields
    if change.kind is not ChangeKind.CREATED and departure_changed and change.departure:
        return change.departure
    if change.kind is ChangeKind.CREATED or "docking" in change.fields:
        return change.docking or now
    return change.departure or change.docking or now


def build_event(
    change: Change,
    docking_event: JSONDict,
    *,
    space_station_id: int | None,
    revision: str,
    sequence: int,
    upstream_base: str,
    now: dt.datetime,
) -> JSONDict:
    """The CloudEvents 1.0 object (JSON-ready dict) for one change."""
    changes = data_changes(change, state_fields(docking_event, space_station_id))
    subject = str(change.event_id)
    return {
        "specversion": SPECVERSION,
        "id": event_id(change, changes, revision),
        "source": f"{upstream_base.rstrip('/')}/docking_event/{subject}/",
        "type": EVENT_TYPES[change.kind],
        "subject": subject,
        "time": rfc3339(event_time(change, now)),
        "sequence": format_sequence(sequence),
        "datacontenttype": "application/json",
        "data": {"docking_event": docking_event, "changes": changes},
    }
