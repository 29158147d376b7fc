"""The fake LL2 server behaves as upstream: query rules, links, shapes, errors, state and faults."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fake_upstream import (
    DEFAULT_NOW,
    FakeUpstream,
    Fault,
    format_duration,
    generate_history,
    iter_pages,
    make_event,
    parse_duration,
    split_search_terms,
)
from fake_upstream.data import SAMPLE_100, SAMPLE_615, read_sample
from tests.conftest import DATA_DIR

NOW = datetime(2025, 4, 4, 0, 0, tzinfo=UTC)


def _tiny_events() -> list[dict]:
    cygnus = 'Cygnus NG-11 "S.S. Roger Chaffee"'
    dragon = {"location_id": 12, "config_id": 6, "spacecraft_id": 77}
    events = [
        make_event(1, "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z",
                   spacecraft_name="Progress MS-13"),
        make_event(2, "2020-01-01T00:00:00Z", location_id=32, config_id=25,
                   spacecraft_name="Tianzhou-2"),
        make_event(3, "2019-06-01T12:00:00.500000Z", "2019-07-01T00:00:00Z", location_id=36,
                   config_id=9, spacecraft_name=cygnus),
        make_event(4, "2021-03-03T00:00:00Z", **dragon, spacecraft_name="Crew Dragon Endeavour"),
        make_event(5, "2020-05-31T00:00:00Z", "2020-08-02T00:00:00Z", **dragon,
                   spacecraft_name="Crew Dragon Endeavour"),
        make_event(6, "2022-01-01T00:00:00Z", "2022-02-01T00:00:00Z", location_id=5, config_id=1,
                   spacecraft_name="Soyuz TM-1_100%"),
    ]  # fmt: skip
    # one spacecraft, one object: the reused Dragon is docked now (event 4)
    events[4]["flight_vehicle"]["spacecraft"] = events[3]["flight_vehicle"]["spacecraft"]
    return events


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    """The default 650-event history, read-only."""
    with FakeUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def client(fake: FakeUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url) as http:
        yield http


@pytest.fixture
def tiny() -> Iterator[FakeUpstream]:
    """Six hand-made events, a fixed clock; free to edit."""
    with FakeUpstream(_tiny_events(), now=NOW) as server:
        yield server


@pytest.fixture
def tiny_client(tiny: FakeUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tiny.base_url, timeout=5) as http:
        yield http


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [event["id"] for event in response.json()["results"]]


def listing(http: httpx.Client, query: str) -> httpx.Response:
    return http.get(f"/docking_event/?{query}")


# --- server basics ---------------------------------------------------------------------------


def test_base_url_is_loopback_with_version_and_no_trailing_slash(fake: FakeUpstream) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/2.2.0"


def test_list_envelope_has_count_next_previous_results_in_order(client: httpx.Client) -> None:
    response = listing(client, "")
    assert list(response.json()) == ["count", "next", "previous", "results"]
    assert response.json()["count"] == 650


def test_responses_are_compact_json(client: httpx.Client) -> None:
    response = listing(client, "limit=1")
    assert response.headers["content-type"] == "application/json"
    assert response.content.startswith(b'{"count":650,"next":"http')
    assert b", " not in response.content[:200]
    assert b": " not in response.content[:60]


@pytest.mark.parametrize(
    "path", ["/2.2.0/docking_event", "/2.2.0/spacecraft/", "/", "/2.3.0/docking_events/"]
)
def test_other_paths_answer_404(fake: FakeUpstream, path: str) -> None:
    response = httpx.get(f"http://127.0.0.1:{fake.port}{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_respond_works_without_sockets() -> None:
    offline = FakeUpstream(_tiny_events(), now=NOW)
    response = offline.respond("GET", "/2.2.0/docking_event/?ordering=-id&limit=2")
    assert [e["id"] for e in json.loads(response.body)["results"]] == [6, 5]


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["4", "4.0", "4.9", " 4 ", "4e0"])
def test_station_filter_cuts_decimals_toward_zero(tiny_client: httpx.Client, value: str) -> None:
    assert ids(listing(tiny_client, f"space_station__id={value}")) == [1, 3, 4, 5]


@pytest.mark.parametrize("value", [".5", "-0.5", "0"])
def test_fractions_below_one_mean_zero(tiny_client: httpx.Client, value: str) -> None:
    assert listing(tiny_client, f"space_station__id={value}").json()["count"] == 0


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "1e50", "-1e400", "-99999999999999999999"]
)
def test_huge_id_matches_nothing_without_error(tiny_client: httpx.Client, value: str) -> None:
    response = listing(tiny_client, f"flight_vehicle__id={value}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("value", ["1e51", "1e400", "2E%2B50"])
def test_id_filter_above_1e50_is_400(tiny_client: httpx.Client, value: str) -> None:
    response = listing(tiny_client, f"flight_vehicle__id={value}")
    assert response.status_code == 400
    assert response.json() == {
        "flight_vehicle__id": ["Ensure this value is less than or equal to 1e+50."]
    }


@pytest.mark.parametrize("value", ["abc", "1,2", "NaN", "Infinity", "0x10", "%20"])
def test_non_number_id_filter_is_400(tiny_client: httpx.Client, value: str) -> None:
    response = listing(tiny_client, f"docking_location__id={value}")
    assert response.status_code == 400
    assert response.json() == {"docking_location__id": ["Enter a number."]}


def test_empty_filter_value_is_ignored(tiny_client: httpx.Client) -> None:
    response = listing(tiny_client, "space_station__id=&docking__gte=&flight_vehicle__id=")
    assert response.json()["count"] == 6


def test_flight_and_location_filters_match_exact_ids(tiny_client: httpx.Client) -> None:
    assert ids(listing(tiny_client, "flight_vehicle__id=6003")) == [3]
    assert ids(listing(tiny_client, "docking_location__id=12")) == [4, 5]
    assert ids(listing(tiny_client, "docking_location__id=12&space_station__id=18")) == []


def test_last_value_of_repeated_filter_counts(tiny_client: httpx.Client) -> None:
    assert ids(listing(tiny_client, "space_station__id=abc&space_station__id=18")) == [2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("docking__gte=2020-01-01", [1, 2, 4, 5, 6]),  # date only is midnight UTC
        ("docking__gt=2020-01-01", [4, 5, 6]),
        ("docking__lt=2020-01-01T00:00", [3]),
        ("docking__lte=2020-01-01 00:00:00", [1, 2, 3]),
        ("docking__gt=2019-06-01T12:00:00.4", [1, 2, 3, 4, 5, 6]),
        ("docking__gt=2019-06-01T12:00:00.500000", [1, 2, 4, 5, 6]),
        ("docking__lte=2019-12-31T20:00:00-04:00", [1, 2, 3]),  # offset: 2020-01-01T00:00Z
        ("docking__lt=2020-01-01T01:00:00%2B01:00", [3]),
        ("docking__lt=2020-01-01T01:00:00%2B0100", [3]),
        ("docking__gte=2022-01-01T00:00:00Z", [6]),
    ],
)
def test_docking_bounds_accept_iso_forms(
    tiny_client: httpx.Client, query: str, expected: list[int]
) -> None:
    assert sorted(ids(listing(tiny_client, query))) == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "1577836800",
        "2020-13-01",
        "2020-01-01T00:00:00+01:00",
        "2020-1-1",
        "2020-01-01T25:00",
    ],
)
def test_bad_datetime_is_400(tiny_client: httpx.Client, value: str) -> None:
    # an unencoded "+" arrives as a space, so the offset form above is a 400 too
    response = listing(tiny_client, f"docking__gte={value}")
    assert response.status_code == 400
    assert response.json() == {"docking__gte": ["Enter a valid date/time."]}


def test_several_bad_params_give_one_object_with_one_key_each(tiny_client: httpx.Client) -> None:
    response = listing(tiny_client, "docking__lt=x&space_station__id=y&limit=z")
    assert response.status_code == 400
    assert response.json() == {
        "space_station__id": ["Enter a number."],
        "docking__lt": ["Enter a valid date/time."],
    }


def test_unknown_params_are_ignored(tiny_client: httpx.Client) -> None:
    assert (
        listing(tiny_client, "space_station=4&departure__isnull=true&docked=true").json()["count"]
        == 6
    )


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "terms"),
    [
        ("dragon endeavour", ["dragon", "endeavour"]),
        ("dragon,endeavour", ["dragon", "endeavour"]),
        ("a,,b,", ["a", "b"]),
        ('"crew dragon"', ["crew dragon"]),
        ("'crew dragon' soyuz", ["crew dragon", "soyuz"]),
        (',"crew dragon",', ["crew dragon"]),
        ('"a,b"', ["a,b"]),
        ('"unbalanced phrase', ['"unbalanced', "phrase"]),
        (r'"say \"hi\""', ['say "hi"']),
        ('S.S."x y"', ['S.S."x y"']),
        ("", []),
        ("   ", []),
    ],
)
def test_search_terms_split_like_the_framework(value: str, terms: list[str]) -> None:
    assert split_search_terms(value) == terms


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=tiangong", [2]),  # station name
        ("search=ENDEAVOUR", [4, 5]),  # spacecraft name, any case
        ("search=zvezda", [1]),  # docking location name
        ("search=dragon+harmony", []),  # every term must match somewhere
        ("search=dragon+international", [4, 5]),
        ("search=%25", [3, 6]),  # % is an ordinary character
        ("search=_", [3, 6]),
        ("search=%22S.S.+Chaffee%22", []),  # one phrase, not two terms
        ("search=%27Roger+Chaffee%22%27", [3]),
        ("search=", [1, 2, 3, 4, 5, 6]),
        ("search=mir,soyuz", [6]),
    ],
)
def test_search_matches_station_spacecraft_and_location_names(
    tiny_client: httpx.Client, query: str, expected: list[int]
) -> None:
    assert ids(listing(tiny_client, query)) == expected


def test_null_character_in_search_is_400_with_a_bare_list(tiny_client: httpx.Client) -> None:
    response = listing(tiny_client, "search=a%00b")
    assert response.status_code == 400
    assert response.json() == ["Null characters are not allowed."]


# --- ordering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, [1, 2, 3, 4, 5, 6]),
        ("id", [1, 2, 3, 4, 5, 6]),
        ("-id", [6, 5, 4, 3, 2, 1]),
        ("docking", [3, 1, 2, 5, 4, 6]),
        ("-docking", [6, 4, 5, 1, 2, 3]),  # equal dockings keep id ascending
        ("departure", [3, 1, 5, 6, 2, 4]),  # still docked last
        ("-departure", [2, 4, 6, 5, 1, 3]),  # still docked first, rising ids
        ("departure,-docking", [3, 1, 5, 6, 4, 2]),
        (" -docking , departure ", [6, 4, 5, 1, 2, 3]),
        ("foo,-docking", [6, 4, 5, 1, 2, 3]),
        ("foo", [1, 2, 3, 4, 5, 6]),
        ("", [1, 2, 3, 4, 5, 6]),
        ("DOCKING", [1, 2, 3, 4, 5, 6]),
        ("--docking", [1, 2, 3, 4, 5, 6]),
        ("%2Bdocking", [1, 2, 3, 4, 5, 6]),
        ("+docking", [3, 1, 2, 5, 4, 6]),  # an unencoded + is a space
    ],
)
def test_ordering_rules(
    tiny_client: httpx.Client, ordering: str | None, expected: list[int]
) -> None:
    query = "" if ordering is None else f"ordering={ordering}"
    assert ids(listing(tiny_client, query)) == expected


def test_minus_departure_puts_open_events_first_in_rising_id_order(client: httpx.Client) -> None:
    results = listing(client, "ordering=-departure&limit=20").json()["results"]
    open_ids = [e["id"] for e in results if e["departure"] is None]
    assert len(open_ids) == 12
    assert [e["id"] for e in results[:12]] == sorted(open_ids)


# --- paging and links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "size"),
    [("", 10), ("limit=3", 3), ("limit=1000", 100), ("limit=0", 10), ("limit=-5", 10),
     ("limit=5.0", 10), ("limit=abc", 10), ("limit=", 10), ("limit=100", 100)],
)  # fmt: skip
def test_limit_leniency(client: httpx.Client, query: str, size: int) -> None:
    assert len(ids(listing(client, query))) == size


@pytest.mark.parametrize(("offset", "first"), [("-3", 1), ("2.0", 1), ("x", 1), ("2", 3)])
def test_offset_leniency(tiny_client: httpx.Client, offset: str, first: int) -> None:
    assert ids(listing(tiny_client, f"offset={offset}"))[0] == first


def test_previous_drops_offset_when_it_would_reach_zero(
    fake: FakeUpstream, client: httpx.Client
) -> None:
    body = listing(client, "limit=1000&offset=20").json()
    assert body["previous"] == f"{fake.base_url}/docking_event/?limit=100"
    assert body["next"] == f"{fake.base_url}/docking_event/?limit=100&offset=120"


def test_limit_is_always_written_in_next(fake: FakeUpstream, client: httpx.Client) -> None:
    body = listing(client, "").json()
    assert body["next"] == f"{fake.base_url}/docking_event/?limit=10&offset=10"
    assert body["previous"] is None


def test_last_page_has_no_next_and_previous_points_back(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    body = listing(tiny_client, "limit=2&offset=4").json()
    assert body["next"] is None
    assert body["previous"] == f"{tiny.base_url}/docking_event/?limit=2&offset=2"


def test_offset_past_the_end_is_empty_with_previous(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    body = listing(tiny_client, "limit=2&offset=50").json()
    assert (body["count"], body["results"], body["next"]) == (6, [], None)
    assert body["previous"] == f"{tiny.base_url}/docking_event/?limit=2&offset=48"


def test_links_sort_params_by_code_point_and_keep_repeats(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    body = listing(tiny_client, "z&mode=x&UNKNOWN=1&b=2&b=1&limit=1").json()
    assert (
        body["next"]
        == f"{tiny.base_url}/docking_event/?UNKNOWN=1&b=2&b=1&limit=1&mode=x&offset=1&z="
    )


def test_links_percent_encode_values_with_upper_hex_and_plus_for_space(
    tiny_client: httpx.Client,
) -> None:
    body = listing(tiny_client, "limit=1&search=&ordering=-docking,id&q=a b:c+d%2B~_.-é").json()
    query = body["next"].split("?", 1)[1]
    assert query == "limit=1&offset=1&ordering=-docking%2Cid&q=a+b%3Ac+d%2B~_.-%C3%A9&search="


def test_links_use_the_request_host(tiny_client: httpx.Client) -> None:
    body = tiny_client.get(
        "/docking_event/?limit=1", headers={"Host": "mirror.example:8000"}
    ).json()
    assert body["next"] == "http://mirror.example:8000/2.2.0/docking_event/?limit=1&offset=1"
    assert body["results"][0]["url"] == "http://mirror.example:8000/2.2.0/docking_event/1/"


def test_walking_next_links_visits_every_event_once(fake: FakeUpstream) -> None:
    seen = [
        e["id"] for page in iter_pages(fake, "limit=100&ordering=-docking") for e in page["results"]
    ]
    assert sorted(seen) == fake.ids


# --- modes, format and shapes ----------------------------------------------------------------

DETAILED_KEYS = [
    "id",
    "url",
    "launch_id",
    "docking",
    "departure",
    "flight_vehicle",
    "docking_location",
    "space_station",
]
NORMAL_CRAFT_KEYS = [
    "id", "url", "name", "serial_number", "is_placeholder", "in_space", "time_in_space",
    "time_docked", "flights_count", "mission_ends_count", "status", "description",
    "spacecraft_config",
]  # fmt: skip


def test_normal_mode_has_no_space_station_and_mini_config(client: httpx.Client) -> None:
    event = listing(client, "limit=1").json()["results"][0]
    assert list(event) == DETAILED_KEYS[:-1]
    craft = event["flight_vehicle"]["spacecraft"]
    assert list(craft) == NORMAL_CRAFT_KEYS
    assert list(craft["spacecraft_config"]) == [
        "id",
        "url",
        "name",
        "type",
        "agency",
        "in_use",
        "image_url",
    ]
    assert list(craft["spacecraft_config"]["agency"]) == ["id", "url", "name", "type"]
    assert list(event["docking_location"]) == ["id", "name", "spacestation"]
    assert list(event["docking_location"]["spacestation"]) == ["id", "url", "name"]


@pytest.mark.parametrize("mode", ["normal", "list", "Detailed", "DETAILED", "junk"])
def test_only_mode_detailed_changes_the_list_form(client: httpx.Client, mode: str) -> None:
    assert "space_station" not in listing(client, f"mode={mode}&limit=1").json()["results"][0]


def test_mode_detailed_gives_the_detailed_form(client: httpx.Client) -> None:
    event = listing(client, "mode=detailed&space_station__id=18&limit=1").json()["results"][0]
    assert list(event) == DETAILED_KEYS
    assert list(event["space_station"]) == ["id", "url", "name", "image_url"]
    config = event["flight_vehicle"]["spacecraft"]["spacecraft_config"]
    assert "payload_return_capacity" in config
    assert "founding_year" in config["agency"]


def test_detail_route_is_detailed_even_with_mode_normal(
    fake: FakeUpstream, client: httpx.Client
) -> None:
    event = client.get("/docking_event/615/?mode=normal").json()
    sample = json.loads(
        (DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json").read_text()
    )
    assert list(event) == DETAILED_KEYS
    assert event["url"] == f"{fake.base_url}/docking_event/615/"
    assert (
        event["flight_vehicle"]["url"] == "https://ll.thespacedevs.com/2.2.0/spacecraft/flight/864/"
    )
    stripped = json.loads(json.dumps(sample).replace("?format=api", ""))
    for part in ("docking_location", "space_station", "launch_id", "docking", "departure"):
        assert event[part] == stripped[part]
    # the capture instant is the default clock, so even the durations match
    assert event["flight_vehicle"] == stripped["flight_vehicle"]


def test_the_packaged_samples_are_the_recorded_ones() -> None:
    for name in (SAMPLE_100, SAMPLE_615):
        assert read_sample(name) == json.loads((DATA_DIR / name).read_text())


def test_format_json_suffixes_every_url_and_the_links(
    fake: FakeUpstream, client: httpx.Client
) -> None:
    body = listing(client, "format=json&limit=1&mode=detailed").json()
    assert (
        body["next"] == f"{fake.base_url}/docking_event/?format=json&limit=1&mode=detailed&offset=1"
    )
    urls = _urls(body["results"][0])
    assert len(urls) == 7
    assert all(url.endswith("/?format=json") for url in urls)


def _urls(value: object) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "url"] + [
            u for v in value.values() for u in _urls(v)
        ]
    return []


def test_unknown_format_is_404_and_any_format_given_is_carried_into_urls(
    client: httpx.Client,
) -> None:
    assert listing(client, "format=xml").status_code == 404
    assert listing(client, "format=xml").json() == {"detail": "Not found."}
    api = client.get("/docking_event/615/?format=api")
    assert api.status_code == 200
    assert all(url.endswith("/?format=api") for url in _urls(api.json()))
    assert listing(client, "format=&limit=1").json()["results"][0]["url"].endswith("/1/?format=")


def test_datetimes_keep_microseconds_only_when_non_zero(tiny_client: httpx.Client) -> None:
    assert tiny_client.get("/docking_event/3/").json()["docking"] == "2019-06-01T12:00:00.500000Z"
    assert tiny_client.get("/docking_event/1/").json()["docking"] == "2020-01-01T00:00:00Z"


# --- detail route and methods ----------------------------------------------------------------


@pytest.mark.parametrize("event_id", ["9999", "-1", "0"])
def test_unknown_integer_id_is_404_no_docking_event(client: httpx.Client, event_id: str) -> None:
    response = client.get(f"/docking_event/{event_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No DockingEvent matches the given query."}


@pytest.mark.parametrize("event_id", ["abc", "615abc", "6.15"])
def test_non_digit_id_is_404_not_found(client: httpx.Client, event_id: str) -> None:
    response = client.get(f"/docking_event/{event_id}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        ("space_station__id=4", 404, {"detail": "No DockingEvent matches the given query."}),
        ("search=Dragon", 404, {"detail": "No DockingEvent matches the given query."}),
        ("docking__lt=2020-01-01", 404, {"detail": "No DockingEvent matches the given query."}),
        ("docking__gte=abc", 400, {"docking__gte": ["Enter a valid date/time."]}),
        ("search=a%00", 400, ["Null characters are not allowed."]),
    ],
)
def test_detail_route_applies_the_filters(
    client: httpx.Client, query: str, status: int, body: object
) -> None:
    response = client.get(f"/docking_event/615/?{query}")
    assert (response.status_code, response.json()) == (status, body)
    kept = client.get("/docking_event/615/?space_station__id=18&search=tianzhou&limit=1")
    assert kept.json()["id"] == 615


def test_detail_route_checks_filter_values_before_the_id(client: httpx.Client) -> None:
    response = client.get("/docking_event/abc/?space_station__id=1e51")
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"])
@pytest.mark.parametrize("path", ["/docking_event/", "/docking_event/615/"])
def test_other_methods_are_405_with_allow_get(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.text == f'{{"detail":"Method \\"{method}\\" not allowed."}}'


def test_head_is_405_without_body(client: httpx.Client) -> None:
    response = client.head("/docking_event/")
    assert (response.status_code, response.headers["allow"], response.content) == (405, "GET", b"")
    assert client.get("/docking_event/?limit=1").status_code == 200  # connection still in sync


# --- durations and clock ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "P0D"), (3 * 86400, "P3D"), (5 * 3600, "PT5H"), (86405, "P1DT5S"),
     (400 * 86400 + 61, "P400DT1M1S"), (139 * 86400 + 10 * 3600 + 52 * 60 + 14, "P139DT10H52M14S"),
     (59.9, "PT59S")],
)  # fmt: skip
def test_durations_use_days_as_largest_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == int(seconds)


def _craft(http: httpx.Client, event_id: int) -> dict:
    return http.get(f"/docking_event/{event_id}/").json()["flight_vehicle"]["spacecraft"]


def test_durations_grow_with_the_clock_while_docked(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    before = _craft(tiny_client, 2)
    tiny.advance(timedelta(hours=1, seconds=1))
    after = _craft(tiny_client, 2)
    assert parse_duration(after["time_docked"]) - parse_duration(before["time_docked"]) == 3601
    assert parse_duration(after["time_in_space"]) - parse_duration(before["time_in_space"]) == 3601


def test_closed_spacecraft_durations_stay_put(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    before = _craft(tiny_client, 1)
    tiny.advance(timedelta(days=2))
    assert _craft(tiny_client, 1) == before


def test_shared_spacecraft_shows_the_same_values_on_every_event(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.advance(timedelta(days=1))
    assert _craft(tiny_client, 4) == _craft(tiny_client, 5)


def test_time_docked_stops_growing_after_departure(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.advance(timedelta(hours=2))
    tiny.set_departure(2, tiny.now, in_space=False)
    frozen = _craft(tiny_client, 2)
    tiny.advance(timedelta(days=3))
    assert _craft(tiny_client, 2) == frozen
    assert frozen["in_space"] is False


def test_time_in_space_grows_after_undocking_while_in_space(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.set_departure(2, tiny.now)
    before = _craft(tiny_client, 2)
    tiny.advance(timedelta(minutes=10))
    after = _craft(tiny_client, 2)
    assert after["time_docked"] == before["time_docked"]
    assert parse_duration(after["time_in_space"]) == parse_duration(before["time_in_space"]) + 600


def test_clock_is_injectable(tiny: FakeUpstream) -> None:
    tiny.clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)
    assert tiny.now == datetime(2030, 1, 1, tzinfo=UTC)


# --- scripted state --------------------------------------------------------------------------


def test_added_event_is_served(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.add_event(make_event(7, "2023-01-01T00:00:00Z", now=NOW))
    assert ids(listing(tiny_client, "ordering=-docking&limit=1")) == [7]
    assert listing(tiny_client, "").json()["count"] == 7


def test_update_event_sets_dotted_paths_and_datetimes(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.update_event(
        1, {"docking_location.name": "Poisk zenith"}, docking=datetime(2018, 5, 5, tzinfo=UTC)
    )
    event = tiny_client.get("/docking_event/1/").json()
    assert (event["docking_location"]["name"], event["docking"]) == (
        "Poisk zenith",
        "2018-05-05T00:00:00Z",
    )
    assert ids(listing(tiny_client, "search=poisk")) == [1]
    assert ids(listing(tiny_client, "ordering=docking&limit=1")) == [1]


def test_deleted_event_answers_404(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.delete_event(3)
    assert tiny_client.get("/docking_event/3/").status_code == 404
    assert 3 not in ids(listing(tiny_client, ""))


def test_set_departure_is_visible_and_removed_field_stays_removed(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.set_departure(4, "2025-01-01T00:00:00Z")
    tiny.remove_field(4, "flight_vehicle.spacecraft.serial_number")
    event = tiny_client.get("/docking_event/4/").json()
    assert event["departure"] == "2025-01-01T00:00:00Z"
    assert "serial_number" not in event["flight_vehicle"]["spacecraft"]
    assert tiny.event(4)["departure"] == "2025-01-01T00:00:00Z"


def test_spacecraft_edits_show_on_every_event_embedding_it(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.update_event(4, {"flight_vehicle.spacecraft.name": "Crew Dragon Endeavour II"})
    assert _craft(tiny_client, 5)["name"] == "Crew Dragon Endeavour II"
    assert ids(listing(tiny_client, "search=endeavour+ii")) == [4, 5]


def test_events_accessor_returns_private_copies(tiny: FakeUpstream) -> None:
    events = tiny.events
    events[0]["docking"] = "1999-01-01T00:00:00Z"
    assert tiny.event(1)["docking"] == "2020-01-01T00:00:00Z"
    assert [e["id"] for e in events] == tiny.ids == [1, 2, 3, 4, 5, 6]


# --- faults ----------------------------------------------------------------------------------


def test_503_burst_then_recovery(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.unavailable(3, retry_after=7)
    statuses = [listing(tiny_client, "").status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 200]
    assert tiny.requests[0].status == 503
    assert tiny.requests[0].fault == "status"


def test_503_carries_retry_after(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.unavailable(retry_after=7)
    assert listing(tiny_client, "").headers["retry-after"] == "7"


def test_429_says_when_to_come_back(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.throttle(30)
    response = listing(tiny_client, "")
    assert (response.status_code, response.headers["retry-after"]) == (429, "30")
    assert response.json() == {"detail": "Request was throttled. Expected available in 30 seconds."}


def test_429_retry_after_can_be_an_http_date(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.throttle(datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert listing(tiny_client, "").headers["retry-after"] == "Tue, 04 Mar 2031 05:06:07 GMT"


def test_500_answers_an_html_page(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.server_error()
    response = listing(tiny_client, "")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")


def test_slow_fault_trips_a_client_timeout(tiny: FakeUpstream) -> None:
    tiny.faults.slow(30)
    with (
        httpx.Client(base_url=tiny.base_url, timeout=0.2) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get("/docking_event/")
    # stop() wakes the sleeping handler, so the fixture tears down promptly


def test_a_dribbled_answer_is_the_normal_one_in_parts_within_each_read_timeout(
    tiny: FakeUpstream,
) -> None:
    with httpx.Client(base_url=tiny.base_url, timeout=0.5) as http:
        whole = listing(http, "")
        tiny.faults.dribble(parts=8, interval=0.1)  # 0.8 s in all: longer than any one read
        with http.stream("GET", "/docking_event/") as dribbled:
            parts = list(dribbled.iter_raw())

    assert len(parts) > 1  # parts 0.1 s apart (two may arrive as one on a busy machine)
    assert b"".join(parts) == whole.content


def test_truncated_body_is_invalid_json_with_status_200(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.faults.truncate()
    response = listing(tiny_client, "")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_incomplete_body_breaks_the_connection(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.faults.truncate(incomplete=True)
    with pytest.raises(httpx.RemoteProtocolError):
        listing(tiny_client, "")


def test_extra_field_appears_on_every_event(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.extra_field("response_mode", "normal")
    tiny.faults.extra_field("new_flag", True, path="flight_vehicle.spacecraft")
    assert {e["response_mode"] for e in listing(tiny_client, "").json()["results"]} == {"normal"}
    craft = tiny_client.get("/docking_event/2/").json()["flight_vehicle"]["spacecraft"]
    assert craft["new_flag"] is True
    assert (
        "new_flag"
        not in tiny_client.get("/docking_event/2/").json()["flight_vehicle"]["spacecraft"]
    )


def test_missing_field_is_dropped_from_every_event(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.faults.missing_field("flight_vehicle.mission_end")
    results = listing(tiny_client, "").json()["results"]
    assert all("mission_end" not in e["flight_vehicle"] for e in results)


def test_edit_event_changes_one_event_of_the_matching_request_only(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.faults.edit_event(3, "id", "abc", route="list", query="ordering=id&limit=100")
    tiny.faults.edit_event(2, "flight_vehicle.spacecraft.name", 42, route="detail")
    other_query = listing(tiny_client, "limit=100").json()["results"]
    detail = tiny_client.get("/docking_event/2/").json()
    matching = listing(tiny_client, "limit=100&ordering=id").json()["results"]
    again = listing(tiny_client, "limit=100&ordering=id").json()["results"]

    assert [e["id"] for e in other_query] == [1, 2, 3, 4, 5, 6]
    assert detail["flight_vehicle"]["spacecraft"]["name"] == 42
    assert [e["id"] for e in matching] == [1, 2, "abc", 4, 5, 6]
    assert [e["id"] for e in again] == [1, 2, 3, 4, 5, 6]
    assert tiny.event(3)["id"] == 3


def test_short_page_keeps_next(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.short_page(keep=1)
    body = listing(tiny_client, "limit=3").json()
    assert (len(body["results"]), body["count"]) == (1, 6)
    assert body["next"].endswith("limit=3&offset=3")


@pytest.mark.parametrize("reset", [False, True])
def test_disconnect_without_response(
    tiny: FakeUpstream, tiny_client: httpx.Client, reset: bool
) -> None:
    tiny.faults.disconnect(reset=reset)
    with pytest.raises(httpx.TransportError):
        listing(tiny_client, "")
    assert tiny.requests[-1].status is None
    assert listing(tiny_client, "").status_code == 200


def test_faults_can_target_one_route(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.server_error(route="detail")
    assert listing(tiny_client, "").status_code == 200
    assert tiny_client.get("/docking_event/1/").status_code == 500
    assert len(tiny.faults) == 0


def test_fault_without_a_count_lasts_until_cleared(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.faults.unavailable(None)
    assert [listing(tiny_client, "").status_code for _ in range(3)] == [503] * 3
    tiny.faults.clear()
    assert listing(tiny_client, "").status_code == 200


def test_unrouted_paths_do_not_use_up_faults(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    tiny.faults.server_error()
    assert tiny_client.get("/spacecraft/").status_code == 404
    assert listing(tiny_client, "").status_code == 500


def test_generic_fault_objects_can_be_injected(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    tiny.inject(Fault("status", route="list", times=2, status=502))
    assert [listing(tiny_client, "").status_code for _ in range(3)] == [502, 502, 200]


# --- request log -----------------------------------------------------------------------------


def test_request_log_records_method_query_headers_and_status(
    tiny: FakeUpstream, tiny_client: httpx.Client
) -> None:
    listing(tiny_client, "limit=2&limit=3&search=a+b")
    tiny_client.get("/docking_event/1/", headers={"Authorization": "Token secret-key"})
    first, second = tiny.requests
    assert (first.method, first.path, first.route, first.status) == (
        "GET",
        "/2.2.0/docking_event/",
        "list",
        200,
    )
    assert first.query == (("limit", "2"), ("limit", "3"), ("search", "a b"))
    assert first.params == {"limit": "3", "search": "a b"}
    assert second.header("authorization") == "Token secret-key"
    assert second.at == NOW


def test_request_count_by_route_and_clear(tiny: FakeUpstream, tiny_client: httpx.Client) -> None:
    listing(tiny_client, "")
    tiny_client.get("/docking_event/1/")
    tiny_client.post("/docking_event/")
    assert (
        tiny.request_count(),
        tiny.request_count("list"),
        tiny.request_count(method="POST"),
    ) == (3, 2, 1)
    tiny.clear_log()
    assert tiny.request_count() == 0
    assert tiny.last_request is None


# --- generated history -----------------------------------------------------------------------


def test_history_is_deterministic_and_has_the_requested_shape() -> None:
    events = generate_history()
    assert events == generate_history()
    assert events != generate_history(seed=2)
    assert len(events) == 650
    assert len({e["id"] for e in events}) == 650
    assert sum(e["departure"] is None for e in events) == 12
    assert {100, 615} <= {e["id"] for e in events}
    assert {4, 18, 6} <= {e["space_station"]["id"] for e in events}


def test_history_has_edge_cases_for_tiebreaks_and_search() -> None:
    events = generate_history()
    dockings = Counter(e["docking"] for e in events)
    crafts = Counter(e["flight_vehicle"]["spacecraft"]["id"] for e in events)
    names = " ".join(
        e["flight_vehicle"]["spacecraft"]["name"] + e["docking_location"]["name"] for e in events
    )
    assert max(dockings.values()) > 1
    assert max(crafts.values()) > 1
    assert all(ch in names for ch in '%_",')
    assert any(e["flight_vehicle"]["spacecraft"]["serial_number"] == "" for e in events)
    assert any(e["flight_vehicle"]["spacecraft"]["serial_number"] is None for e in events)


def test_history_scales_to_ten_thousand_events() -> None:
    events = generate_history(10_000, seed=3)
    assert len({e["id"] for e in events}) == 10_000


def test_sample_100_is_carried_into_the_22_shape() -> None:
    event = next(e for e in generate_history() if e["id"] == 100)
    assert event["url"] == "https://ll.thespacedevs.com/2.2.0/docking_event/100/"
    assert event["docking_location"]["spacestation"]["id"] == 4
    assert event["flight_vehicle"]["spacecraft"]["name"] == "Soyuz TMA-16"
    assert list(event) == DETAILED_KEYS


def test_default_clock_is_the_sample_capture_instant() -> None:
    assert FakeUpstream([]).now == DEFAULT_NOW
