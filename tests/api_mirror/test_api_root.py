"""``/2.2.0/`` and ``/2.2.0/api-throttle/``: the routes LL2 clients call around the endpoint.

The root answers as DRF's ``DefaultRouter`` root does (every upstream route's list url, the
mirror's for what it serves), ``api-throttle`` in upstream's shape with values that never hold
a client back; both in every form the docking-event routes have (JSON, ``?format=``, suffixes,
the browsable page) and with DRF's default methods (GET, HEAD, OPTIONS; anything else a 405).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from tests.api_mirror.browsable_text import pretty, read_page
from tests.api_mirror.dataset import make_events, store

ROOT = "/2.2.0/"
THROTTLE = "/2.2.0/api-throttle/"
MIRROR = "http://testserver/2.2.0"
UPSTREAM = "https://ll.thespacedevs.com/2.2.0"
ALLOW = "GET, HEAD, OPTIONS"
# Upstream 2.2.0's route prefixes (its published schema's endpoints, and api-throttle), in
# code-point order.
UPSTREAM_ROUTES = [
    "agencies",
    "api-throttle",
    "astronaut",
    "config/agencytype",
    "config/astronautrole",
    "config/astronautstatus",
    "config/astronauttype",
    "config/dockinglocation",
    "config/eventtype",
    "config/firststagetype",
    "config/landinglocation",
    "config/landingtype",
    "config/launcher",
    "config/launchstatus",
    "config/missiontype",
    "config/netprecision",
    "config/noticetype",
    "config/orbit",
    "config/roadclosurestatus",
    "config/spacecraft",
    "config/spacecraftstatus",
    "config/spacestationstatus",
    "dashboard/starship",
    "docking_event",
    "event",
    "event/previous",
    "event/upcoming",
    "expedition",
    "launch",
    "launch/previous",
    "launch/upcoming",
    "launcher",
    "location",
    "mission_patch",
    "pad",
    "program",
    "spacecraft",
    "spacecraft/flight",
    "spacestation",
    "spacewalks",
    "updates",
]
SERVED = {"docking_event", "api-throttle"}
QUOTA = {
    "your_request_limit": 2**31 - 1,
    "limit_frequency_secs": 3600,
    "current_use": 0,
    "next_use_secs": 0,
}


def _expected_root(end: str = "/") -> dict[str, str]:
    bases = {route: MIRROR if route in SERVED else UPSTREAM for route in UPSTREAM_ROUTES}
    return {route: f"{base}/{route}{end}" for route, base in bases.items()}


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, make_events(3))
    return engine


@pytest.fixture
def client(stored: Engine) -> Iterator[TestClient]:
    with TestClient(mirror_app(stored, check_seconds=None)) as client:
        yield client


def test_root_lists_upstreams_routes_in_drfs_shape_with_the_served_ones_on_the_mirror(
    client: TestClient,
) -> None:
    answer = client.get(ROOT)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert (answer.headers["allow"], answer.headers["vary"]) == (ALLOW, "Accept")
    assert list(answer.json()) == UPSTREAM_ROUTES
    expected = _expected_root()
    assert answer.content == json.dumps(expected, separators=(",", ":")).encode()
    assert expected["docking_event"] == f"{MIRROR}/docking_event/"
    assert expected["agencies"] == f"{UPSTREAM}/agencies/"


def test_the_roots_mirror_links_lead_to_answering_routes(client: TestClient) -> None:
    listing = client.get(ROOT).json()
    for route in SERVED:
        assert client.get(listing[route]).status_code == 200, route


def test_root_carries_format_json_into_every_link(client: TestClient) -> None:
    answer = client.get(ROOT + "?format=json")

    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {route: url + "?format=json" for route, url in _expected_root().items()}


@pytest.mark.parametrize("path", ["/2.2.0/.json", "/2.2.0/.json/"])
def test_root_suffix_form_reverses_the_suffix_into_every_link(
    client: TestClient, path: str
) -> None:
    answer = client.get(path)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == _expected_root(".json")
    assert client.get(answer.json()["docking_event"]).status_code == 200


@pytest.mark.parametrize("path", [ROOT + "?format=api", "/2.2.0/.api"])
def test_root_browsable_page_shows_the_listing_as_drf_does(client: TestClient, path: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    page = read_page(answer.text)
    assert page.request_line == f"GET {path}"
    assert page.header_lines == [
        "HTTP 200 OK",
        f"Allow: {ALLOW}",
        "Content-Type: application/json",
        "Vary: Accept",
    ]
    links = page.body
    assert list(links) == UPSTREAM_ROUTES
    assert page.json_text == pretty(links)
    assert "<h1>Api Root</h1>" in answer.text
    assert links["docking_event"] in {href for href, _text in page.links}


def test_a_browser_gets_the_roots_page_by_its_accept_header(client: TestClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = client.get(ROOT, headers={"Accept": accept})
    assert answer.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("path", [ROOT, THROTTLE])
def test_unknown_format_is_404_and_unsatisfiable_accept_406(client: TestClient, path: str) -> None:
    unknown = client.get(path + "?format=xml")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not found."})
    refused = client.get(path + "?format=json", headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json() == {"detail": "Could not satisfy the request Accept header."}


@pytest.mark.parametrize("path", ["/2.2.0/.xml", "/2.2.0/api-throttle.xml"])
def test_unknown_suffix_is_the_views_404(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not found."})
    # The view's own 404 (its negotiation found no renderer), not the router's.
    assert answer.headers["allow"] == ALLOW


@pytest.mark.parametrize(
    ("path", "name", "description"),
    [
        (ROOT, "Api Root", "The default basic root view for DefaultRouter"),
        (
            THROTTLE,
            "Api Throttle List",
            "API endpoint that allows API Throttle information to be viewed.\n\n"
            "GET:\nReturns a range of information about your API access",
        ),
    ],
)
def test_drfs_default_methods_head_options_and_405(
    client: TestClient, path: str, name: str, description: str
) -> None:
    got = client.get(path)
    head = client.head(path)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["allow"] == ALLOW

    options = client.options(path)
    assert options.status_code == 200
    assert options.json() == {
        "name": name,
        "description": description,
        "renders": ["application/json", "text/html"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    }

    for method in ("POST", "PUT", "PATCH", "DELETE"):
        refused = client.request(method, path)
        assert refused.status_code == 405, method
        assert refused.json() == {"detail": f'Method "{method}" not allowed.'}
        assert refused.headers["allow"] == ALLOW


@pytest.mark.parametrize(("path", "target"), [("/2.2.0", ROOT), ("/2.2.0/api-throttle", THROTTLE)])
def test_without_the_slash_is_a_permanent_redirect(
    client: TestClient, path: str, target: str
) -> None:
    answer = client.get(path + "?format=json", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == target + "?format=json"


def test_throttle_answers_upstreams_shape_with_values_that_let_a_client_proceed(
    client: TestClient,
) -> None:
    answer = client.get(THROTTLE)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert (answer.headers["allow"], answer.headers["vary"]) == (ALLOW, "Accept")
    body = answer.json()
    assert list(body) == [*QUOTA, "ident"]
    assert body == {**QUOTA, "ident": "testclient"}
    # What clients check before they poll: never at the limit, no wait.
    assert body["current_use"] < body["your_request_limit"]
    assert answer.content == json.dumps(body, separators=(",", ":")).encode()


def test_throttle_never_runs_out_however_often_it_is_asked(client: TestClient) -> None:
    for _ in range(20):
        client.get("/2.2.0/docking_event/")
    assert client.get(THROTTLE).json() == {**QUOTA, "ident": "testclient"}


def test_throttle_ident_is_the_forwarded_client_only_behind_a_trusted_proxy(
    stored: Engine,
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    with TestClient(mirror_app(stored, check_seconds=None)) as plain:
        assert plain.get(THROTTLE, headers=forwarded).json()["ident"] == "testclient"
    with TestClient(mirror_app(stored, check_seconds=None, trust_proxy=True)) as proxied:
        assert proxied.get(THROTTLE, headers=forwarded).json()["ident"] == "203.0.113.7"


@pytest.mark.parametrize(
    ("path", "media"),
    [
        (THROTTLE + "?format=json", "application/json"),
        ("/2.2.0/api-throttle.json", "application/json"),
        ("/2.2.0/api-throttle.json/", "application/json"),
        (THROTTLE + "?format=api", "text/html; charset=utf-8"),
        ("/2.2.0/api-throttle.api", "text/html; charset=utf-8"),
    ],
)
def test_throttle_in_every_form(client: TestClient, path: str, media: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == media
    body = read_page(answer.text).body if media.startswith("text/html") else answer.json()
    assert body == {**QUOTA, "ident": "testclient"}


def test_throttle_page_is_upstreams_page_for_it(client: TestClient) -> None:
    answer = client.get(THROTTLE + "?format=api")
    page = read_page(answer.text)

    assert page.request_line == f"GET {THROTTLE}?format=api"
    assert page.header_lines[:2] == ["HTTP 200 OK", f"Allow: {ALLOW}"]
    assert page.json_text == pretty({**QUOTA, "ident": "testclient"})
    assert "API endpoint that allows API Throttle information to be viewed." in answer.text
    assert '<a href="/2.2.0/">Api Root</a>' in answer.text
