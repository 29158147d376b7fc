"""The HTTP app: upstream's envelope, errors, methods, conditional requests, proxy headers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from models.fleet.readings import BudgetUsage, LockHeld
from models.ll2.formats import format_duration
from models.store.cycle_summary import CycleSummary
from models.store.sync_state import LastCycle, write_record
from tests.api_mirror.conftest import Clock, StatementCounter
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format
from worker.sync.store import delete_events

LIST = "/2.2.0/docking_event/"
ELAPSED = dt.timedelta(hours=3, minutes=2, seconds=1)
IN_SPACE_SECONDS = 139 * 86400 + 10 * 3600 + 52 * 60 + 14
DOCKED_SECONDS = 139 * 86400 + 7 * 3600 + 33 * 60 + 33


@pytest.fixture
def clock() -> Clock:
    return Clock(FETCHED_AT + ELAPSED)


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(30), strip_format(sample_615())])
    return engine


@pytest.fixture
def client(stored: Engine, clock: Clock) -> Iterator[TestClient]:
    # No periodic check: the statements counted are the requests' own, and the mirror learns of
    # a test's write when the test says so (``learn``), as a writer's hint would tell it.
    with TestClient(mirror_app(stored, clock=clock, check_seconds=None)) as client:
        yield client


def learn(client: TestClient) -> None:
    """Bring the mirror up to the test's write, as the sync's hint after its commit does."""
    client.app.state.mirror.snapshots.refresh()


def test_detail_615_equals_the_real_sample_but_for_host_and_grown_durations(
    client: TestClient,
) -> None:
    response = client.get("/2.2.0/docking_event/615/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = strip_format(sample_615())
    expected["url"] = "http://testserver/2.2.0/docking_event/615/"
    craft = expected["flight_vehicle"]["spacecraft"]
    craft["time_in_space"] = format_duration(IN_SPACE_SECONDS + int(ELAPSED.total_seconds()))
    craft["time_docked"] = format_duration(DOCKED_SECONDS + int(ELAPSED.total_seconds()))
    assert (
        response.content == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_detail_ignores_mode_and_is_always_detailed(client: TestClient) -> None:
    body = client.get("/2.2.0/docking_event/615/?mode=normal").json()
    assert "space_station" in body


def test_list_envelope_has_count_links_and_results_in_order(client: TestClient) -> None:
    response = client.get(LIST + "?limit=5&offset=5&search=a&UNKNOWN=x")
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["next"] == (
        "http://testserver/2.2.0/docking_event/?UNKNOWN=x&limit=5&offset=10&search=a"
    )
    assert body["previous"] == "http://testserver/2.2.0/docking_event/?UNKNOWN=x&limit=5&search=a"
    assert len(body["results"]) == 5
    assert "space_station" not in body["results"][0]


def test_mode_detailed_on_the_list_adds_the_space_station(client: TestClient) -> None:
    results = client.get(LIST + "?mode=detailed").json()["results"]
    assert all(list(item)[-1] == "space_station" for item in results)


def test_format_json_suffixes_every_url_and_the_links(client: TestClient) -> None:
    body = client.get(LIST + "?format=json&limit=1&offset=1").json()
    assert body["next"].endswith("?format=json&limit=1&offset=2")
    assert body["previous"] == "http://testserver/2.2.0/docking_event/?format=json&limit=1"
    text = json.dumps(body["results"])
    urls = [part.split('"')[0] for part in text.split('"url": "')[1:]]
    assert urls
    assert all(url.endswith("/?format=json") for url in urls)


def test_bad_filters_answer_400_keyed_by_parameter(client: TestClient) -> None:
    response = client.get(LIST + "?space_station__id=abc&docking__gte=soon")
    assert response.status_code == 400
    assert response.json() == {
        "space_station__id": ["Enter a number."],
        "docking__gte": ["Enter a valid date/time."],
    }


async def _raw_get(app: Any, path: str, query: bytes) -> tuple[int, bytes]:
    """One GET straight through the ASGI app (HTTP clients refuse URLs past 64 KiB)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize("term", [b"a" * 49_999, b"%25" * 25_000, b"a" * 49_998 + b"%25"])
def test_a_search_term_of_any_length_answers_as_on_postgresql(
    client: TestClient, term: bytes
) -> None:
    # SQLite's LIKE gave up on such patterns ("LIKE or GLOB pattern too complex", a 500).
    status, body = asyncio.run(_raw_get(client.app, LIST, b"search=" + term))
    assert status == 200
    assert json.loads(body)["count"] == 0


def test_null_character_in_search_answers_400_with_a_list(client: TestClient) -> None:
    response = client.get(LIST + "?search=a%00b")
    assert (response.status_code, response.json()) == (400, ["Null characters are not allowed."])


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/2.2.0/docking_event/999999/", "No DockingEvent matches the given query."),
        ("/2.2.0/docking_event/-1/", "No DockingEvent matches the given query."),
        ("/2.2.0/docking_event/abc/", "Not found."),
        ("/2.2.0/docking_event/615abc/", "Not found."),
        (LIST + "?format=xml", "Not found."),
        ("/2.2.0/docking_event/615.xml", "Not found."),
        ("/2.2.0/docking_event/6.15/", "Not found."),
        ("/2.2.0/elsewhere/", "Not found."),
    ],
)
def test_not_found_bodies_follow_upstream(client: TestClient, path: str, detail: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": detail})


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", [LIST, "/2.2.0/docking_event/615/", "/2.2.0/docking_event/x/"])
def test_other_methods_answer_405_with_allow_get(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_head_answers_405_without_a_body(client: TestClient) -> None:
    response = client.head(LIST)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.content == b""


def test_unknown_format_wins_over_the_method(client: TestClient) -> None:
    assert client.post(LIST + "?format=yaml").status_code == 404


def test_path_without_trailing_slash_redirects_permanently(client: TestClient) -> None:
    response = client.get("/2.2.0/docking_event?limit=2", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"].endswith("/2.2.0/docking_event/?limit=2")


def test_etag_repeats_while_durations_grow_and_answers_304(
    client: TestClient, clock: Clock
) -> None:
    first = client.get("/2.2.0/docking_event/615/")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["last-modified"]
    clock.now += dt.timedelta(minutes=5)
    later = client.get("/2.2.0/docking_event/615/")
    assert later.headers["etag"] == etag
    assert later.json() != first.json()  # the durations grew
    cached = client.get("/2.2.0/docking_event/615/", headers={"If-None-Match": etag})
    assert (cached.status_code, cached.content) == (304, b"")
    assert cached.headers["etag"] == etag


def test_a_stored_change_to_a_nested_row_changes_the_etag(
    client: TestClient, stored: Engine
) -> None:
    etag = client.get(LIST + "?limit=100").headers["etag"]
    event = strip_format(sample_615())
    event["flight_vehicle"]["spacecraft"]["spacecraft_config"]["agency"]["abbrev"] = "NEW"
    with Session(stored) as session:
        store(session, [event], now=FETCHED_AT)
    learn(client)
    response = client.get(LIST + "?limit=100", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] != etag


def test_if_modified_since_answers_304_when_nothing_changed_since(client: TestClient) -> None:
    last_modified = client.get(LIST).headers["last-modified"]
    assert client.get(LIST, headers={"If-Modified-Since": last_modified}).status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(LIST, headers={"If-Modified-Since": old}).status_code == 200


def test_etag_differs_per_query(client: TestClient) -> None:
    assert client.get(LIST).headers["etag"] != client.get(LIST + "?limit=3").headers["etag"]


FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


@pytest.mark.parametrize(
    ("path", "headers", "status", "body"),
    [
        (
            LIST + "999999/",
            {"If-None-Match": "*"},
            404,
            {"detail": "No DockingEvent matches the given query."},
        ),
        (LIST + "abc/", {"If-None-Match": "*"}, 404, {"detail": "Not found."}),
        (LIST + "abc/", {"If-Modified-Since": FUTURE}, 404, {"detail": "Not found."}),
        (
            LIST + "?space_station__id=abc",
            {"If-Modified-Since": FUTURE},
            400,
            {"space_station__id": ["Enter a number."]},
        ),
        (
            LIST + "?space_station__id=abc",
            {"If-None-Match": "*"},
            400,
            {"space_station__id": ["Enter a number."]},
        ),
    ],
)
def test_an_invalid_request_gets_its_error_whatever_its_conditional_headers(
    client: TestClient, path: str, headers: dict[str, str], status: int, body: object
) -> None:
    response = client.get(path, headers=headers)
    assert (response.status_code, response.json()) == (status, body)


def test_a_deleted_event_answers_404_to_its_old_etag(client: TestClient, stored: Engine) -> None:
    etag = client.get(LIST + "615/").headers["etag"]
    with Session(stored) as session:
        delete_events(session, [615])
        session.commit()
    learn(client)
    response = client.get(LIST + "615/", headers={"If-None-Match": etag})
    assert response.status_code == 404


@pytest.mark.parametrize("path", [LIST, LIST + "615/"])
def test_answers_and_304s_tell_caches_to_revalidate(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(
    stored: Engine, clock: Clock
) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mirror.example, inner"}
    with TestClient(mirror_app(stored, clock=clock)) as plain:
        body = plain.get(LIST + "?limit=1", headers=headers).json()
        assert body["next"].startswith("http://testserver/2.2.0/")
    with TestClient(mirror_app(stored, clock=clock, trust_proxy=True)) as proxied:
        body = proxied.get(LIST + "?limit=1", headers=headers).json()
        assert body["next"].startswith("https://mirror.example/2.2.0/")
        assert body["results"][0]["url"].startswith("https://mirror.example/2.2.0/")


def test_statements_per_request_do_not_depend_on_the_page_size(
    client: TestClient, statements: StatementCounter
) -> None:
    counts = []
    for limit in (1, 10, 100):
        statements.reset()
        response = client.get(LIST + f"?limit={limit}&mode=detailed&search=a")
        assert response.status_code == 200
        counts.append(statements.count)
    statements.reset()
    client.get("/2.2.0/docking_event/615/")
    assert len(set(counts)) == 1
    assert statements.count <= counts[0]


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_status_reports_counts_freshness_budget_and_lock_holder(
    stored: Engine, clock: Clock
) -> None:
    holder = LockHeld(host="worker-1", pid=42, since=1.0e9, expires_in_seconds=51.5)
    usage = BudgetUsage(used=3, limit=15, left=12, next_slot_at=None, not_before=None)
    app = mirror_app(stored, clock=clock, budget=lambda: usage, lock=lambda: holder)
    with TestClient(app) as client:
        body = client.get("/status").json()
    assert body["events"] == 31
    assert body["open_events"] >= 1
    assert body["last_successful_sync"] is None
    assert body["stale"] is True
    assert body["budget"] == {
        "used": 3,
        "limit": 15,
        "left": 12,
        "next_slot_at": None,
        "not_before": None,
        "unreachable": None,
    }
    assert body["lock"] == {  # instants: ISO-8601
        "held": True,
        "host": "worker-1",
        "pid": 42,
        "since": "2001-09-09T01:46:40Z",
        "expires_in_seconds": 51.5,
    }


def test_status_carries_the_last_cycle_once(stored: Engine, clock: Clock) -> None:
    with Session(stored) as session:
        summary = CycleSummary(requests=1)
        write_record(session, LastCycle(finished_at=clock(), summary=summary), clock())
        session.commit()
    with TestClient(mirror_app(stored, clock=clock)) as client:
        text = client.get("/status").text

    assert text.count('"last_cycle"') == 1
    assert json.loads(text)["last_cycle"]["summary"] == {
        "requests": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "notifications": 0,
        "complete": True,
    }


def test_status_budget_is_null_offline_and_an_error_when_its_reader_fails(
    stored: Engine, clock: Clock
) -> None:
    with TestClient(mirror_app(stored, clock=clock)) as client:
        assert client.get("/status").json()["budget"] is None
        assert client.get("/status").json()["lock"] is None

    def broken() -> BudgetUsage:
        raise ConnectionError("redis down")

    with TestClient(mirror_app(stored, clock=clock, budget=broken)) as client:
        assert client.get("/status").json()["budget"] == {"error": "ConnectionError: redis down"}


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get(LIST)
    client.get("/2.2.0/docking_event/abc/")
    text = client.get("/metrics").text
    assert 'dockwatch_mirror_requests_total{route="/2.2.0/docking_event/",status="200"} 1.0' in text
    assert (
        'dockwatch_mirror_requests_total{route="/2.2.0/docking_event/{ident}/",status="404"} 1.0'
        in text
    )
    assert "dockwatch_mirror_request_seconds_bucket" in text
    assert "dockwatch_events_stored 31.0" in text
