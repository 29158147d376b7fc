"""Serialization: upstream's key order and value formats, durations current, the url rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session

from models.ll2.formats import format_datetime, format_duration
from models.ll2.graph import load_graphs
from models.ll2.render import LinkStyle, serialize_event
from tests.api_mirror.dataset import FETCHED_AT, UPSTREAM, sample_615, store, strip_format

MIRROR = "http://mirror.test:8000/2.2.0"
ELAPSED = dt.timedelta(days=2, hours=1, seconds=7)
IN_SPACE_SECONDS = 139 * 86400 + 10 * 3600 + 52 * 60 + 14
DOCKED_SECONDS = 139 * 86400 + 7 * 3600 + 33 * 60 + 33


def _expected_615(base: str, elapsed: dt.timedelta, suffix: str = "") -> dict[str, object]:
    expected: dict[str, object] = strip_format(sample_615())
    expected["url"] = f"{base}/docking_event/615/{suffix}"
    craft = expected["flight_vehicle"]["spacecraft"]  # type: ignore[index]
    grown = int(elapsed.total_seconds())
    craft["time_in_space"] = format_duration(IN_SPACE_SECONDS + grown)
    craft["time_docked"] = format_duration(DOCKED_SECONDS + grown)
    return expected


def test_detailed_615_equals_the_real_sample_but_for_host_and_grown_durations(
    session: Session,
) -> None:
    store(session, [strip_format(sample_615())], now=FETCHED_AT)
    [graph] = load_graphs(session, [615])
    body = serialize_event(
        graph, mode="detailed", links=LinkStyle(MIRROR), now=FETCHED_AT + ELAPSED
    )
    expected = _expected_615(MIRROR, ELAPSED)
    assert json.dumps(body) == json.dumps(expected)  # key order included


def test_durations_do_not_grow_when_not_in_space_and_not_docked(session: Session) -> None:
    event = strip_format(sample_615())
    event["departure"] = "2025-01-01T00:00:00Z"
    event["flight_vehicle"]["spacecraft"]["in_space"] = False
    store(session, [event], now=FETCHED_AT)
    [graph] = load_graphs(session, [615])
    craft = serialize_event(
        graph, mode="normal", links=LinkStyle(MIRROR), now=FETCHED_AT + ELAPSED
    )["flight_vehicle"]["spacecraft"]
    assert craft["time_in_space"] == "P139DT10H52M14S"
    assert craft["time_docked"] == "P139DT7H33M33S"


def test_normal_mode_has_upstream_key_order_and_no_space_station(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    body = serialize_event(graph, mode="normal", links=LinkStyle(MIRROR), now=FETCHED_AT)
    assert list(body) == [
        "id",
        "url",
        "launch_id",
        "docking",
        "departure",
        "flight_vehicle",
        "docking_location",
    ]
    craft = body["flight_vehicle"]["spacecraft"]
    assert list(craft) == [
        "id",
        "url",
        "name",
        "serial_number",
        "is_placeholder",
        "in_space",
        "time_in_space",
        "time_docked",
        "flights_count",
        "mission_ends_count",
        "status",
        "description",
        "spacecraft_config",
    ]
    assert list(craft["spacecraft_config"]) == [
        "id",
        "url",
        "name",
        "type",
        "agency",
        "in_use",
        "image_url",
    ]
    assert craft["spacecraft_config"]["agency"] == {
        "id": 88,
        "url": f"{UPSTREAM}/agencies/88/",
        "name": "China Aerospace Science and Technology Corporation",
        "type": "Government",
    }
    assert list(body["docking_location"]) == ["id", "name", "spacestation"]


def test_format_json_appends_the_suffix_to_every_url(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    body = serialize_event(
        graph, mode="detailed", links=LinkStyle(MIRROR, format_param="json"), now=FETCHED_AT
    )
    text = json.dumps(body)
    urls = [part.split('"')[0] for part in text.split('"url": "')[1:]]
    assert len(urls) == 7
    assert all(url.endswith("/?format=json") for url in urls)
    assert body["url"] == f"{MIRROR}/docking_event/615/?format=json"


def test_a_format_suffix_route_reverses_every_url_with_the_suffix(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    links = LinkStyle(MIRROR, format_param="", format_suffix="api")
    body = serialize_event(graph, mode="detailed", links=links, now=FETCHED_AT)
    assert body["url"] == f"{MIRROR}/docking_event/615.api?format="
    assert body["flight_vehicle"]["url"] == f"{UPSTREAM}/spacecraft/flight/864.api?format="
    assert body["space_station"]["url"] == f"{UPSTREAM}/spacestation/18.api?format="


def test_upstream_form_points_the_event_url_at_upstream(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    body = serialize_event(
        graph, mode="detailed", links=LinkStyle(UPSTREAM), now=FETCHED_AT + ELAPSED
    )
    assert json.dumps(body) == json.dumps(_expected_615(UPSTREAM, ELAPSED))


def test_missing_station_link_renders_null(session: Session) -> None:
    event = strip_format(sample_615())
    event["docking_location"]["spacestation"] = None
    store(session, [event])
    [graph] = load_graphs(session, [615])
    body = serialize_event(graph, mode="normal", links=LinkStyle(MIRROR), now=FETCHED_AT)
    assert body["docking_location"] == {"id": 32, "name": "Tianhe aft", "spacestation": None}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "P0D"),
        (-3, "P0D"),
        (5, "PT5S"),
        (3 * 86400, "P3D"),
        (5 * 3600, "PT5H"),
        (86400 + 5, "P1DT5S"),
        (400 * 86400 + 60, "P400DT1M"),
        (IN_SPACE_SECONDS, "P139DT10H52M14S"),
    ],
)
def test_durations_use_days_as_largest_unit_and_omit_zero_parts(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2024, 11, 15, 18, 32, tzinfo=dt.UTC), "2024-11-15T18:32:00Z"),
        (dt.datetime(2024, 11, 15, 18, 32, 0, 120, tzinfo=dt.UTC), "2024-11-15T18:32:00.000120Z"),
        (
            dt.datetime(2024, 11, 15, 20, 32, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-11-15T18:32:00Z",
        ),
        (None, None),
    ],
)
def test_datetimes_are_utc_with_z_and_microseconds_only_when_present(
    moment: dt.datetime | None, text: str | None
) -> None:
    assert format_datetime(moment) == text
