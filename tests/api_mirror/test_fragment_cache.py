"""The fragment cache: events serialized in an earlier second are reused, durations current."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.app import create_app
from api_mirror.fragment_cache import FragmentCache
from api_mirror.fragments import Fragment
from tests.api_mirror.conftest import StatementCounter
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format

START = FETCHED_AT + dt.timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(20), strip_format(sample_615())])
        session.commit()
    return engine


def _fresh(engine: Engine, now: dt.datetime, path: str) -> bytes:
    with TestClient(create_app(engine, clock=lambda: now)) as client:
        return client.get(path).content


@pytest.mark.parametrize(
    "path",
    [
        "/2.2.0/docking_event/?limit=100&mode=detailed",
        "/2.2.0/docking_event/?limit=5&offset=3&format=json",
        "/2.2.0/docking_event/?ordering=-docking&search=a",
    ],
)
def test_a_later_second_reuses_the_events_and_matches_a_fresh_render(
    stored: Engine, statements: StatementCounter, path: str
) -> None:
    clock = Clock()
    with TestClient(create_app(stored, clock=clock)) as client:
        client.get(path)
        clock.now = START + dt.timedelta(days=3, seconds=7)
        statements.reset()
        later = client.get(path)
        reused = statements.count
    assert later.status_code == 200
    assert reused == 3  # data version, count, ids: no event rows loaded
    assert later.content == _fresh(stored, clock.now, path)


def test_a_page_overlapping_an_earlier_one_loads_only_once_more(
    stored: Engine, statements: StatementCounter
) -> None:
    clock = Clock()
    path = "/2.2.0/docking_event/?limit=10&offset={}&mode=detailed"
    with TestClient(create_app(stored, clock=clock)) as client:
        statements.reset()
        client.get(path.format(0))
        cold = statements.count
        statements.reset()
        overlapping = client.get(path.format(5))
        assert statements.count == cold
    assert overlapping.content == _fresh(stored, clock.now, path.format(5))


def test_a_sync_write_is_never_served_from_old_fragments(stored: Engine) -> None:
    clock = Clock()
    path = "/2.2.0/docking_event/?limit=100"
    with TestClient(create_app(stored, clock=clock)) as client:
        client.get(path)
        edited = strip_format(sample_615())
        edited["docking_location"]["name"] = "Tianhe aft (renamed)"
        with Session(stored) as session:
            store(session, [edited])
            session.commit()
        clock.now += dt.timedelta(seconds=1)
        after = client.get(path)
    names = {e["id"]: e["docking_location"]["name"] for e in after.json()["results"]}
    assert names[615] == "Tianhe aft (renamed)"
    assert after.content == _fresh(stored, clock.now, path)


def test_cache_evicts_the_least_recent_entries_within_its_bounds() -> None:
    def fragment(size: int) -> Fragment:
        return Fragment({"id": size}, None, size)

    cache = FragmentCache(max_entries=2, max_bytes=10)
    cache.put_many([("a", fragment(4)), ("b", fragment(5))])
    cache.put_many([("c", fragment(2))])  # over the byte bound: the oldest goes
    assert cache.get_many(["a", "b", "c"]) == [None, fragment(5), fragment(2)]
    cache.put_many([("d", fragment(11))])  # larger than the whole cache: not kept
    assert cache.get_many(["d"]) == [None]
    assert len(cache) == 2
