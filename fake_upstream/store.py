"""The fake upstream's data as it changes: stored events, their query rows and the clock.

``UpstreamState`` keeps the events by id (deep copies in and out), the ``Row`` each one is
queried by, and one shared state per spacecraft: upstream serialises one spacecraft row into
every event that embeds it, so an edit to a spacecraft shows on all of them, and its
``time_in_space`` and ``time_docked`` keep counting with the clock (in space, or docked in an
open event). The clock is fixed by default and can be moved or replaced between requests.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_upstream.data import DEFAULT_NOW
from fake_upstream.filtering import Row
from fake_upstream.history import generate_history
from fake_upstream.values import Event, dig, format_datetime, format_duration, parse_duration


@dataclass
class _Craft:
    """One spacecraft as upstream stores it, durations as of the fake's ``_as_of`` instant."""

    data: dict[str, Any]
    time_in_space: int
    time_docked: int


class UpstreamState:
    """Scriptable events, spacecraft and clock; ``FakeUpstream`` serves them."""

    def __init__(
        self,
        events: Iterable[Event] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        now: datetime | None = None,
    ) -> None:
        self._lock = threading.RLock()
        fixed = now or DEFAULT_NOW
        self._clock: Callable[[], datetime] = clock or (lambda: fixed)
        self._events: dict[int, Event] = {}
        self._rows: dict[int, Row] = {}
        self._crafts: dict[Any, _Craft] = {}
        self._as_of = self._now()
        self._load(generate_history() if events is None else events)

    # clock

    def _now(self) -> datetime:
        value = self._clock()
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def now(self) -> datetime:
        """The fake's current time."""
        return self._now()

    @now.setter
    def now(self, value: datetime) -> None:
        self._clock = lambda: value

    @property
    def clock(self) -> Callable[[], datetime]:
        """The injectable clock."""
        return self._clock

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:
        self._clock = value

    def advance(self, delta: timedelta) -> datetime:
        """Move a fixed clock forward by ``delta``; returns the new time."""
        self.now = self.now + delta
        return self.now

    # data

    @property
    def events(self) -> list[Event]:
        """Deep copies of the stored (detailed, upstream-URL) events, by id."""
        with self._lock:
            now, open_crafts = self._now(), self._open_crafts()
            return [
                copy.deepcopy(self._served(self._events[i], now, open_crafts))
                for i in sorted(self._events)
            ]

    def event(self, event_id: int) -> Event:
        """A deep copy of one stored event (KeyError when absent)."""
        with self._lock:
            served = self._served(self._events[event_id], self._now(), self._open_crafts())
            return copy.deepcopy(served)

    @property
    def ids(self) -> list[int]:
        """Stored ids, ascending."""
        with self._lock:
            return sorted(self._events)

    def add_event(self, event: Event) -> None:
        """Store a new (or replace an existing) detailed event; its spacecraft values become
        the current values of that spacecraft everywhere."""
        with self._lock:
            self._rebase()
            self._store(copy.deepcopy(event))

    def replace_events(self, events: Iterable[Event]) -> None:
        """Replace the whole data set."""
        with self._lock:
            self._load(events)

    def _load(self, events: Iterable[Event]) -> None:
        self._events, self._rows, self._crafts = {}, {}, {}
        self._as_of = self._now()
        copies = json.loads(json.dumps(list(events)))  # much faster than deepcopy
        for event in sorted(copies, key=lambda e: e["id"]):
            self._events[event["id"]] = event
            self._capture_craft(event)
        self._rows = {i: Row.of(self._canonical(e)) for i, e in self._events.items()}

    def delete_event(self, event_id: int) -> None:
        """Remove an event (KeyError when absent)."""
        with self._lock:
            self._rebase()
            del self._events[event_id]
            del self._rows[event_id]

    def set_departure(
        self, event_id: int, when: datetime | str | None, *, in_space: bool | None = None
    ) -> None:
        """Undock (or re-open with None); ``in_space`` optionally updates the spacecraft."""
        changes: dict[str, Any] = {"departure": when}
        if in_space is not None:
            changes["flight_vehicle.spacecraft.in_space"] = in_space
        self.update_event(event_id, changes)

    def update_event(
        self, event_id: int, changes: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> None:
        """Set values by dotted path (``{"docking_location.name": "X"}``) or top-level keyword;
        datetimes are written in upstream form. Spacecraft edits show on every event that
        embeds that spacecraft, as upstream serialises one spacecraft row."""
        with self._lock:
            self._rebase()
            event = copy.deepcopy(self._canonical(self._events[event_id]))
            for path, value in {**(changes or {}), **fields}.items():
                *parents, last = path.split(".")
                target = event
                for part in parents:
                    target = target[part]
                target[last] = format_datetime(value) if isinstance(value, datetime) else value
            self._store(event)

    def remove_field(self, event_id: int, path: str) -> None:
        """Delete the key at a dotted path from a stored event (or its spacecraft)."""
        with self._lock:
            self._rebase()
            event = copy.deepcopy(self._canonical(self._events[event_id]))
            *parents, last = path.split(".")
            del dig(event, parents)[last]
            self._store(event)

    def _store(self, event: Event) -> None:
        self._events[event["id"]] = event
        craft_id = self._capture_craft(event)
        self._rows[event["id"]] = Row.of(self._canonical(event))
        if craft_id is not None:  # a renamed spacecraft changes what search sees elsewhere
            for row in list(self._rows.values()):
                if row.craft_id == craft_id:
                    self._rows[row.id] = Row.of(self._canonical(self._events[row.id]))

    def _capture_craft(self, event: Event) -> Any:
        """The event's spacecraft becomes that spacecraft's state as of ``_as_of``."""
        craft = dig(event, ("flight_vehicle", "spacecraft"))
        if not isinstance(craft, dict) or "id" not in craft:
            return None
        self._crafts[craft["id"]] = _Craft(
            craft,  # stored events are private and only ever replaced, never edited in place
            parse_duration(craft.get("time_in_space")),
            parse_duration(craft.get("time_docked")),
        )
        return craft["id"]

    def _open_crafts(self) -> set[Any]:
        return {row.craft_id for row in self._rows.values() if row.departure is None}

    def _current(self, craft_id: Any, now: datetime, open_crafts: set[Any]) -> _Craft | None:
        state = self._crafts.get(craft_id)
        if state is None:
            return None
        elapsed = max(0, int((now - self._as_of).total_seconds()))
        return _Craft(
            state.data,
            state.time_in_space + (elapsed if state.data.get("in_space") else 0),
            state.time_docked + (elapsed if craft_id in open_crafts else 0),
        )

    def _rebase(self) -> None:
        """Fold the time elapsed so far into the spacecraft values before the state changes."""
        now, open_crafts = self._now(), self._open_crafts()
        for craft_id in list(self._crafts):
            state = self._current(craft_id, now, open_crafts)
            if state is not None:
                self._crafts[craft_id] = state
        self._as_of = now

    def _canonical(self, event: Event) -> Event:
        """``event`` with its spacecraft's values as of ``_as_of`` (shallow where unchanged)."""
        return self._served(event, self._as_of, set())

    def _served(self, event: Event, now: datetime, open_crafts: set[Any]) -> Event:
        """``event`` with its spacecraft's current shared values (shallow where unchanged)."""
        craft = dig(event, ("flight_vehicle", "spacecraft"))
        state = self._current(dig(craft, ("id",)), now, open_crafts)
        if state is None:
            return event
        event = {**event, "flight_vehicle": {**event["flight_vehicle"]}}
        event["flight_vehicle"]["spacecraft"] = {
            **state.data,
            "time_in_space": format_duration(state.time_in_space),
            "time_docked": format_duration(state.time_docked),
        }
        return event
