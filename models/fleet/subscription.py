"""Which notifications a subscriber wants: CloudEvent types, space stations, vehicles.

One filter for every reader of the stream (``/events``, ``dockwatch subscribe``, webhook endpoints),
so ``?station=4`` and ``--station 4`` mean the same thing. A notification's ``data.docking_event``
is the event's normal-mode 2.2.0 JSON; a station term matches its
``docking_location.spacestation`` (``space_station`` in detailed mode) and a vehicle term its
``flight_vehicle.spacecraft`` — by id (``4``), by name, case-insensitively
(``International Space Station``, ``crew dragon endeavour``), or by the name's initials (``ISS``);
a vehicle term also by the name of the spacecraft's configuration (``Tianzhou``, ``Dragon 2``).
Terms of one kind (a comma list or repeated values) are alternatives (any matches); kinds combine
(all must match); an empty kind keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def _terms(values: Iterable[str]) -> frozenset[str]:
    """Comma lists (``"4, 18"``) and repeated values as one set of case-folded terms."""
    return frozenset(
        term.strip().casefold() for value in values for term in value.split(",") if term.strip()
    )


def _names(thing: Any, keys: tuple[str, ...] = ("id", "name")) -> set[str]:
    """The id, the name and the name's initials of an LL2 object, case-folded (nothing for a
    missing object): ``{"4", "international space station", "iss"}``."""
    if not isinstance(thing, Mapping):
        return set()
    names = {str(thing[key]).casefold() for key in keys if thing.get(key) is not None}
    words = str(thing.get("name") or "").split()
    if len(words) > 1:
        names.add("".join(word[0] for word in words).casefold())
    return names


def _station_names(docking: Mapping[str, Any]) -> set[str]:
    """The names of the event's space station: normal mode (what notifications carry) names it
    under ``docking_location.spacestation``, detailed mode as ``space_station``."""
    location = docking.get("docking_location")
    names = _names(location.get("spacestation")) if isinstance(location, Mapping) else set()
    return names | _names(docking.get("space_station"))


def _vehicle_names(craft: Any) -> set[str]:
    """A spacecraft's names (``_names``) and its configuration's name, so ``Tianzhou`` or
    ``Dragon 2`` matches every spacecraft of that type (the configuration's id is left out: LL2
    numbers configurations apart from spacecraft)."""
    names = _names(craft)
    if isinstance(craft, Mapping):
        names |= _names(craft.get("spacecraft_config"), ("name",))
    return names


def written_terms(values: Iterable[str]) -> list[str]:
    """Comma lists and repeated values as single terms as written: stripped, case kept, each once
    (``["ISS, 18", "iss"]`` is ``["ISS", "18"]``). What a webhook endpoint stores and shows;
    ``NotificationFilter.parse`` reads the list back to the same filter."""
    seen: dict[str, str] = {}
    for value in values:
        for term in value.split(","):
            if term.strip():
                seen.setdefault(term.strip().casefold(), term.strip())
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    """Terms of each kind as case-folded strings; ``matches`` takes a CloudEvent dict."""

    types: frozenset[str] = frozenset()
    stations: frozenset[str] = frozenset()
    vehicles: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls,
        *,
        types: Iterable[str] = (),
        stations: Iterable[str] = (),
        vehicles: Iterable[str] = (),
    ) -> NotificationFilter:
        """The filter for comma lists or repeated values of each kind (types match exactly)."""
        wanted = frozenset(t.strip() for value in types for t in value.split(",") if t.strip())
        return cls(wanted, _terms(stations), _terms(vehicles))

    @property
    def everything(self) -> bool:
        """True when the filter keeps every notification."""
        return not (self.types or self.stations or self.vehicles)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the CloudEvent ``event`` passes every kind of term."""
        if self.types and event.get("type") not in self.types:
            return False
        if not (self.stations or self.vehicles):
            return True
        data = event.get("data")
        docking = data.get("docking_event") if isinstance(data, Mapping) else None
        if not isinstance(docking, Mapping):
            return False
        if self.stations and not self.stations & _station_names(docking):
            return False
        vehicle = docking.get("flight_vehicle")
        craft = vehicle.get("spacecraft") if isinstance(vehicle, Mapping) else None
        return not self.vehicles or bool(self.vehicles & _vehicle_names(craft))
