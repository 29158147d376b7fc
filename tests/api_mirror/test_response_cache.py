"""The response cache: repeats within a second come from memory; any sync write invalidates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.app import create_app
from api_mirror.response_cache import ResponseCache
from tests.api_mirror.conftest import StatementCounter
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format
from worker.sync.store import delete_events

LIST = "/2.2.0/docking_event/?limit=100&mode=detailed"
NOW = FETCHED_AT + dt.timedelta(hours=1, microseconds=250_000)


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(20), strip_format(sample_615())])
        session.commit()
    return engine


@pytest.fixture
def client(stored: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(stored, clock=lambda: NOW)) as client:
        yield client


def test_a_repeat_within_the_second_reads_only_the_data_version(
    client: TestClient, statements: StatementCounter
) -> None:
    first = client.get(LIST)
    statements.reset()
    again = client.get(LIST)

    assert again.content == first.content
    assert statements.count == 1
    assert "sync_state" in statements.statements[0]


def test_a_sync_write_is_served_at_once(client: TestClient, stored: Engine) -> None:
    before = client.get(LIST).json()
    edited = strip_format(sample_615())
    edited["docking_location"]["name"] = "Tianhe aft (renamed)"
    with Session(stored) as session:
        store(session, [edited])
        session.commit()
    after = client.get(LIST).json()

    location = {e["id"]: e["docking_location"]["name"] for e in after["results"]}
    assert location[615] == "Tianhe aft (renamed)"
    assert after != before


def test_a_deletion_is_served_at_once(client: TestClient, stored: Engine) -> None:
    assert client.get("/2.2.0/docking_event/615/").status_code == 200
    with Session(stored) as session:
        delete_events(session, [615])
        session.commit()
    assert client.get("/2.2.0/docking_event/615/").status_code == 404
    assert 615 not in {e["id"] for e in client.get(LIST).json()["results"]}


def test_cache_evicts_the_least_recent_entries_within_its_bounds() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    cache.put("c", b"90")  # over the byte bound: the oldest goes
    assert cache.get("a") is None
    assert (cache.get("b"), cache.get("c")) == (b"5678", b"90")
    cache.put("d", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("d") is None
    assert len(cache) == 2
