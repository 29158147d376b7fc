"""The response cache: a repeat costs no statement and no assembly, answered before the framework;
a growing duration keeps an answer for its second only; a new data version is never served stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.read.answer_cache import Answer, ResponseCache
from harness.mirror_app import mirror_app
from tests.api_mirror.conftest import Clock, StatementCounter
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format
from worker.sync.store import delete_events

LIST = "/2.2.0/docking_event/?limit=100&mode=detailed"
NOW = FETCHED_AT + dt.timedelta(hours=1, microseconds=250_000)


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(20), strip_format(sample_615())])
    return engine


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def client(stored: Engine, clock: Clock) -> Iterator[TestClient]:
    with TestClient(mirror_app(stored, clock=clock, check_seconds=None)) as client:
        yield client


def test_a_repeat_is_the_same_answer_from_memory_without_a_statement(
    client: TestClient, statements: StatementCounter
) -> None:
    cache = client.app.state.mirror.cache
    first = client.get(LIST)
    statements.reset()
    again = client.get(LIST)
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers == first.headers
    assert statements.count == 0
    assert cache.hits == 1


def test_a_conditional_repeat_answers_304_from_memory(client: TestClient) -> None:
    first = client.get(LIST)
    again = client.get(LIST, headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]
    assert again.headers["cache-control"] == "no-cache"
    assert client.app.state.mirror.cache.hits == 1


def test_repeats_are_counted_in_the_metrics_under_their_route(client: TestClient) -> None:
    for _ in range(3):
        client.get(LIST)
    text = client.get("/metrics").text
    assert 'dockwatch_mirror_requests_total{route="/2.2.0/docking_event/",status="200"} 3.0' in text


def test_a_growing_duration_keeps_an_answer_for_its_second_only(
    client: TestClient, clock: Clock
) -> None:
    first = client.get("/2.2.0/docking_event/615/")  # Tianzhou-8, docked and in space
    clock.now += dt.timedelta(seconds=1)
    later = client.get("/2.2.0/docking_event/615/")
    craft, grown = (r.json()["flight_vehicle"]["spacecraft"] for r in (first, later))
    assert grown["time_docked"] != craft["time_docked"]
    assert client.app.state.mirror.cache.hits == 0


def test_a_new_data_version_is_never_served_from_the_cache(
    client: TestClient, stored: Engine
) -> None:
    assert client.get("/2.2.0/docking_event/615/").status_code == 200
    with Session(stored) as session:
        delete_events(session, [615])
        session.commit()
    client.app.state.mirror.snapshots.refresh()
    assert client.get("/2.2.0/docking_event/615/").status_code == 404
    assert 615 not in {e["id"] for e in client.get(LIST).json()["results"]}


def _answer(content: bytes, second: int | None) -> Answer:
    return Answer(content, [], [], 'W/"x"', None, second, "/")


def test_an_answer_without_a_second_is_right_for_the_whole_version() -> None:
    cache = ResponseCache()
    cache.put(7, "page", _answer(b"steady", None))
    cache.put(7, "other", _answer(b"growing", 100))
    assert cache.get(7, "page", 100) == cache.get(7, "page", 5000) == _answer(b"steady", None)
    assert cache.get(7, "other", 100) == _answer(b"growing", 100)
    assert cache.get(7, "other", 101) is None
    assert cache.get(8, "page", 100) is None


def test_cache_evicts_the_least_recent_entries_within_its_bounds() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=10)
    cache.put(1, "a", _answer(b"1234", None))
    cache.put(1, "b", _answer(b"5678", None))
    cache.put(1, "c", _answer(b"90", None))  # over the entry bound: the oldest goes
    assert cache.get(1, "a", 0) is None
    assert [cache.get(1, key, 0) for key in "bc"] == [_answer(b"5678", None), _answer(b"90", None)]
    cache.put(1, "d", _answer(b"x" * 11, None))  # larger than the whole cache: not kept
    assert cache.get(1, "d", 0) is None
    assert len(cache) == 2
