"""``NotificationFilter``: the one meaning of ``?station=``/``--station``, vehicles and types."""

from __future__ import annotations

from typing import Any

from models.fleet.stream import DOCKED, UNDOCKED
from models.fleet.subscription import NotificationFilter


def notification(kind: str = DOCKED, station: Any = None, craft: Any = None) -> dict[str, Any]:
    docking = {
        "id": 1,
        # Normal mode, as notifications carry it: the station is the docking location's.
        "docking_location": {
            "id": 2,
            "name": "Harmony Forward",
            "spacestation": station or {"id": 4, "name": "International Space Station"},
        },
        "flight_vehicle": {"id": 9, "spacecraft": craft or {"id": 77, "name": "Endeavour"}},
    }
    return {"type": kind, "data": {"docking_event": docking, "changes": {}}}


def test_an_empty_filter_keeps_everything() -> None:
    wanted = NotificationFilter.parse()
    assert wanted.everything
    assert wanted.matches({"type": DOCKED})  # even without data


def test_a_station_matches_by_id_or_by_name_in_any_case() -> None:
    for term in ("4", "international space station", "INTERNATIONAL Space Station", " 4 "):
        assert NotificationFilter.parse(stations=[term]).matches(notification()), term
    assert not NotificationFilter.parse(stations=["18"]).matches(notification())
    assert not NotificationFilter.parse(stations=["Tiangong"]).matches(notification())


def test_terms_of_one_kind_are_alternatives_and_kinds_combine() -> None:
    assert NotificationFilter.parse(stations=["18,4"]).matches(notification())
    assert NotificationFilter.parse(stations=["18", "4"]).matches(notification())
    both = NotificationFilter.parse(stations=["4"], vehicles=["endeavour"])
    assert both.matches(notification())
    assert not both.matches(notification(craft={"id": 78, "name": "Resilience"}))
    typed = NotificationFilter.parse(types=[UNDOCKED], stations=["4"])
    assert not typed.matches(notification(DOCKED))
    assert typed.matches(notification(UNDOCKED))


def test_a_vehicle_matches_the_spacecraft_by_id_or_name() -> None:
    assert NotificationFilter.parse(vehicles=["77"]).matches(notification())
    assert not NotificationFilter.parse(vehicles=["9"]).matches(notification())  # the flight's id


def test_a_notification_without_the_named_object_does_not_match_a_station_filter() -> None:
    wanted = NotificationFilter.parse(stations=["4"])
    assert not wanted.matches({"type": DOCKED})
    assert not wanted.matches(
        {"type": DOCKED, "data": {"docking_event": {"docking_location": {"spacestation": None}}}}
    )
    # Detailed mode names it at the top.
    detailed = {"space_station": {"id": 4, "name": "International Space Station"}}
    assert wanted.matches({"type": DOCKED, "data": {"docking_event": detailed}})
    assert not NotificationFilter.parse(vehicles=["77"]).matches(
        {"type": DOCKED, "data": {"docking_event": {"flight_vehicle": None}}}
    )


def test_a_name_s_initials_and_a_vehicle_s_configuration_name_match_too() -> None:
    dragon = {"id": 77, "name": "Endeavour", "spacecraft_config": {"id": 4, "name": "Dragon 2"}}
    assert NotificationFilter.parse(stations=["ISS"]).matches(notification())
    assert NotificationFilter.parse(stations=["iss"]).matches(notification())
    assert not NotificationFilter.parse(stations=["IS"]).matches(notification())
    assert NotificationFilter.parse(vehicles=["dragon 2"]).matches(notification(craft=dragon))
    # The configuration's id is not the spacecraft's: it names nothing here.
    assert not NotificationFilter.parse(vehicles=["4"]).matches(notification(craft=dragon))
    # A one-word name has no initials to match.
    assert not NotificationFilter.parse(vehicles=["e"]).matches(notification(craft=dragon))
