"""Framework behaviours a client can hit (issue 12), each with DRF's answer as the expected value.

Every row of the issue's table is a test here, on SQLite and PostgreSQL: the filters on the detail
route, django-filter's 1e50 ceiling, the ``.json`` format-suffix routes and the browsable page of
``?format=api``; then the order of the checks, content negotiation and the error pages.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from models.ll2.formats import format_duration
from tests.api_mirror.browsable_text import pretty, read_page
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format

LIST = "/2.2.0/docking_event/"
EVENT = "/2.2.0/docking_event/615/"
MIRROR = "http://testserver/2.2.0/docking_event/"
ELAPSED = dt.timedelta(hours=3, minutes=2, seconds=1)
IN_SPACE_SECONDS = 139 * 86400 + 10 * 3600 + 52 * 60 + 14
DOCKED_SECONDS = 139 * 86400 + 7 * 3600 + 33 * 60 + 33
NO_EVENT = b'{"detail":"No DockingEvent matches the given query."}'
NOT_FOUND = b'{"detail":"Not found."}'
CEILING = "Ensure this value is less than or equal to 1e+50."
BAD_DATE = b'{"docking__gte":["Enter a valid date/time."]}'
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with Session(engine) as session:
        store(session, [*make_events(30), strip_format(sample_615())])
    with TestClient(mirror_app(engine, clock=lambda: FETCHED_AT + ELAPSED)) as client:
        yield client


def _rewrite_urls(value: Any, rewrite: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {
            k: rewrite(v) if k == "url" and isinstance(v, str) else _rewrite_urls(v, rewrite)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_urls(v, rewrite) for v in value]
    return value


def _expected_615(rewrite: Callable[[str], str] = lambda url: url) -> dict[str, Any]:
    """The real capture of 615 as the mirror serves it, each url passed through ``rewrite``."""
    event: dict[str, Any] = strip_format(sample_615())
    event["url"] = MIRROR + "615/"
    craft = event["flight_vehicle"]["spacecraft"]
    craft["time_in_space"] = format_duration(IN_SPACE_SECONDS + int(ELAPSED.total_seconds()))
    craft["time_docked"] = format_duration(DOCKED_SECONDS + int(ELAPSED.total_seconds()))
    expected: dict[str, Any] = _rewrite_urls(event, rewrite)
    return expected


def _compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _assert_json(response: Response, status: int, content: bytes) -> None:
    assert (response.status_code, response.content) == (status, content)
    assert response.headers["content-type"] == "application/json"
    assert (response.headers["allow"], response.headers["vary"]) == ("GET", "Accept")


def _suffixed(fmt: str) -> Callable[[str], str]:
    return lambda url: url.removesuffix("/") + "." + fmt


# --- the table, row by row -------------------------------------------------------------


def test_detail_outside_the_station_filter_is_404(client: TestClient) -> None:
    # 615 is on station 18.
    _assert_json(client.get(EVENT + "?space_station__id=4"), 404, NO_EVENT)


def test_detail_with_a_bad_datetime_filter_is_400(client: TestClient) -> None:
    _assert_json(client.get(EVENT + "?docking__gte=abc"), 400, BAD_DATE)


@pytest.mark.parametrize("query", ["search=Dragon", "docking__lt=2020-01-01"])
def test_detail_left_out_by_search_or_a_date_filter_is_404(client: TestClient, query: str) -> None:
    _assert_json(client.get(f"{EVENT}?{query}"), 404, NO_EVENT)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("space_station__id", "1e51"),
        ("space_station__id", "1e400"),
        ("flight_vehicle__id", "1e51"),
    ],
)
def test_number_filter_above_1e50_is_400(client: TestClient, name: str, value: str) -> None:
    expected = _compact({name: [CEILING]})
    _assert_json(client.get(f"{LIST}?{name}={value}"), 400, expected)


@pytest.mark.parametrize(
    "path", ["/2.2.0/docking_event/615.json", "/2.2.0/docking_event/615.json/"]
)
def test_detail_json_suffix_answers_the_event(client: TestClient, path: str) -> None:
    # DRF reverses every hyperlink with the request's format suffix: …/615.json, …/864.json.
    _assert_json(client.get(path), 200, _compact(_expected_615(_suffixed("json"))))


def test_list_json_suffix_answers_the_list(client: TestClient) -> None:
    response = client.get("/2.2.0/docking_event.json")
    plain = client.get(LIST).json()
    expected = _rewrite_urls(plain, _suffixed("json"))
    expected["next"] = "http://testserver/2.2.0/docking_event.json?limit=10&offset=10"
    _assert_json(response, 200, _compact(expected))


def test_615_format_api_answers_the_browsable_page(client: TestClient) -> None:
    response = client.get(EVENT + "?format=api")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert (response.headers["allow"], response.headers["vary"]) == ("GET", "Accept")
    page = read_page(response.text)
    assert page.request_line == "GET /2.2.0/docking_event/615/?format=api"
    assert page.header_lines == [
        "HTTP 200 OK",
        "Allow: GET",
        "Content-Type: application/json",
        "Vary: Accept",
    ]
    assert page.json_text == pretty(_expected_615(lambda url: url + "?format=api"))


# --- the order of the checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "headers", "status", "content"),
    [
        # negotiation first: an unknown format, then an Accept nothing satisfies
        ("POST", EVENT + "?format=xml&docking__gte=x", {}, 404, NOT_FOUND),
        (
            "GET",
            EVENT + "?docking__gte=x",
            {"Accept": "text/plain"},
            406,
            b'{"detail":"Could not satisfy the request Accept header."}',
        ),
        # then the method
        ("POST", EVENT + "?docking__gte=x", {}, 405, _compact({"detail": 'Method "POST" not allowed.'})),  # noqa: E501
        # then the filters, whatever the id
        ("GET", LIST + "abc/?space_station__id=1e51", {}, 400, _compact({"space_station__id": [CEILING]})),  # noqa: E501
        ("GET", LIST + "999999/?search=a%00", {}, 400, b'["Null characters are not allowed."]'),
        # then the lookup in the filtered set
        ("GET", LIST + "abc/?space_station__id=18", {}, 404, NOT_FOUND),
        ("GET", LIST + "999999/?space_station__id=18", {}, 404, NO_EVENT),
    ],
)  # fmt: skip
def test_detail_checks_come_in_drf_order(
    client: TestClient,
    method: str,
    target: str,
    headers: dict[str, str],
    status: int,
    content: bytes,
) -> None:
    _assert_json(client.request(method, target, headers=headers), status, content)


def test_detail_kept_by_every_filter_is_served(client: TestClient) -> None:
    query = (
        "space_station__id=18.9&flight_vehicle__id=864&docking_location__id=32&search=tianzhou"
        "&docking__gte=2024-11-15T18:32:00Z&docking__lte=2024-11-16&limit=1&offset=5&ordering=-id"
    )
    _assert_json(client.get(f"{EVENT}?{query}"), 200, _compact(_expected_615()))


def test_a_conditional_detail_request_outside_the_filters_is_still_404(
    client: TestClient,
) -> None:
    etag = client.get(EVENT).headers["etag"]
    response = client.get(EVENT + "?space_station__id=4", headers={"If-None-Match": etag})
    _assert_json(response, 404, NO_EVENT)


# --- format suffixes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "status", "content"),
    [
        ("/2.2.0/docking_event/615.xml", 404, NOT_FOUND),
        ("/2.2.0/docking_event.yaml/", 404, NOT_FOUND),
        ("/2.2.0/docking_event/abc.json", 404, NOT_FOUND),
        ("/2.2.0/docking_event/999999.json", 404, NO_EVENT),
        ("/2.2.0/docking_event/615.json?docking__gte=x", 400, BAD_DATE),
    ],
)  # fmt: skip
def test_suffix_routes_answer_errors_like_the_plain_routes(
    client: TestClient, target: str, status: int, content: bytes
) -> None:
    _assert_json(client.get(target), status, content)


@pytest.mark.parametrize(
    "path",
    [
        "/2.2.0/docking_event/6.15/",
        "/2.2.0/docking_event/615.JSON",
        "/2.2.0/docking_event/a.b.json",
        "/2.2.0/docking_event/.json",
        "/2.2.0/docking_event.JSON",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_paths_the_router_does_not_match_are_404_for_any_method(
    client: TestClient, path: str, method: str
) -> None:
    response = client.request(method, path + "?format=api", follow_redirects=False)
    assert (response.status_code, response.content) == (404, NOT_FOUND)


def test_the_suffix_wins_over_the_format_parameter_which_is_still_carried(
    client: TestClient,
) -> None:
    response = client.get("/2.2.0/docking_event/615.json?format=xml")
    expected = _expected_615(lambda url: url.removesuffix("/") + ".json?format=xml")
    _assert_json(response, 200, _compact(expected))


def test_api_suffix_answers_the_browsable_page_with_suffixed_links(client: TestClient) -> None:
    response = client.get("/2.2.0/docking_event/615.api")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = read_page(response.text)
    assert page.request_line == "GET /2.2.0/docking_event/615.api"
    assert page.body["url"] == MIRROR + "615.api"
    assert (MIRROR + "615.api", MIRROR + "615.api") in page.links


def test_an_empty_format_parameter_is_carried_into_every_url(client: TestClient) -> None:
    # DRF's reverse appends ?format=<value> whenever the parameter is present.
    response = client.get(EVENT + "?format=")
    _assert_json(response, 200, _compact(_expected_615(lambda url: url + "?format=")))


# --- content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "accept", "kind"),
    [
        (EVENT, None, "json"),
        (EVENT, "*/*", "json"),
        (EVENT, "application/json", "json"),
        (EVENT, "text/html", "html"),
        (EVENT, BROWSER_ACCEPT, "html"),
        (EVENT, "text/*", "html"),
        (EVENT, "text/html, application/json", "json"),
        (EVENT + "?format=json", BROWSER_ACCEPT, "json"),
        (EVENT + "?format=api", "*/*", "html"),
        (EVENT + "?format=json", "text/html", 406),
        (EVENT + "?format=api", "application/json", 406),
        (EVENT, "text/plain", 406),
        (EVENT, "", 406),
    ],
)
def test_accept_and_format_pick_the_renderer_as_drf_does(
    client: TestClient, target: str, accept: str | None, kind: str | int
) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = client.get(target, headers=headers)
    if kind == 406:
        body = b'{"detail":"Could not satisfy the request Accept header."}'
        _assert_json(response, 406, body)
        return
    assert response.status_code == 200
    html = response.headers["content-type"] == "text/html; charset=utf-8"
    assert html == (kind == "html")
    assert response.headers["vary"] == "Accept"


def test_a_browser_without_format_gets_the_page_with_plain_urls(client: TestClient) -> None:
    response = client.get(EVENT, headers={"Accept": BROWSER_ACCEPT})
    page = read_page(response.text)
    assert page.request_line == "GET /2.2.0/docking_event/615/"
    assert page.json_text == pretty(_expected_615())


@pytest.mark.parametrize(
    ("accept", "indent"),
    [("application/json; indent=4", 4), ("application/json;indent=2", 2), ("*/*; indent=12", 8)],
)
def test_an_indent_parameter_pretty_prints_the_json(
    client: TestClient, accept: str, indent: int
) -> None:
    response = client.get(EVENT, headers={"Accept": accept})
    assert response.headers["content-type"] == "application/json"
    expected = json.dumps(
        _expected_615(), indent=indent, ensure_ascii=False, separators=(",", ": ")
    )
    assert response.text == expected


def test_html_and_json_have_their_own_etags_and_cache_entries(client: TestClient) -> None:
    plain = client.get(EVENT)
    page = client.get(EVENT + "?format=api")
    browser = client.get(EVENT, headers={"Accept": "text/html"})
    assert len({plain.headers["etag"], page.headers["etag"], browser.headers["etag"]}) == 3
    # The JSON's ETag does not validate the page, nor the other way round.
    again = client.get(
        EVENT, headers={"Accept": "text/html", "If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 200
    assert again.headers["content-type"] == "text/html; charset=utf-8"
    json_again = client.get(EVENT, headers={"If-None-Match": browser.headers["etag"]})
    assert (json_again.status_code, json_again.content) == (200, plain.content)
    same = client.get(
        EVENT, headers={"Accept": "text/html", "If-None-Match": browser.headers["etag"]}
    )
    assert same.status_code == 304


# --- browsable error pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "status_line", "body"),
    [
        ("GET", LIST + "999999/?format=api", "HTTP 404 Not Found", json.loads(NO_EVENT)),
        ("GET", LIST + "abc/?format=api", "HTTP 404 Not Found", {"detail": "Not found."}),
        (
            "GET",
            LIST + "?format=api&space_station__id=x",
            "HTTP 400 Bad Request",
            {"space_station__id": ["Enter a number."]},
        ),
        (
            "DELETE",
            EVENT + "?format=api",
            "HTTP 405 Method Not Allowed",
            {"detail": 'Method "DELETE" not allowed.'},
        ),
    ],
)
def test_errors_are_browsable_pages_with_the_json_status(
    client: TestClient, method: str, target: str, status_line: str, body: object
) -> None:
    response = client.request(method, target)
    assert response.status_code == int(status_line.split()[1])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert (response.headers["allow"], response.headers["vary"]) == ("GET", "Accept")
    page = read_page(response.text)
    assert page.request_line == f"{method} {target}"
    assert page.header_lines[0] == status_line
    assert page.body == body


def test_head_with_format_api_is_405_without_a_body(client: TestClient) -> None:
    response = client.head(EVENT + "?format=api")
    assert (response.status_code, response.content) == (405, b"")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert int(response.headers["content-length"]) > 0


def test_the_list_page_links_every_event_on_the_mirror(client: TestClient) -> None:
    page = read_page(client.get(LIST + "?format=api&limit=3").text)
    mirror_links = [href for href, _ in page.links if href.startswith(MIRROR)]
    assert mirror_links == [
        MIRROR + "?format=api&limit=3&offset=3",
        *(f"{MIRROR}{event['id']}/?format=api" for event in page.body["results"]),
    ]
    assert all(href == text for href, text in page.links)
