"""Bodies from templates: current durations in any second, the same bytes beyond the memory cap,
shared rows changed once for every event, and no statement per request."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.read.templates import TemplateCache, compile_template
from harness.mirror_app import mirror_app
from models.ll2.template import DETAILED
from tests.api_mirror.conftest import Clock, StatementCounter
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format

START = FETCHED_AT + dt.timedelta(hours=1)
PATHS = [
    "/2.2.0/docking_event/?limit=100&mode=detailed",
    "/2.2.0/docking_event/?limit=5&offset=3&format=json",
    "/2.2.0/docking_event/?ordering=-docking&search=a",
    "/2.2.0/docking_event/?space_station__id=4&docking__gte=2005-01-01&ordering=departure",
    "/2.2.0/docking_event.json?mode=detailed&limit=7",
    "/2.2.0/docking_event/615/",
    "/2.2.0/docking_event/615.json?format=x",
    "/2.2.0/docking_event/615/?format=api",
]
# With a cap of two templates, event 1 (the first stored) is long gone from the cache.
CAPPED = [*PATHS[:4], *(path.replace("615", "1") for path in PATHS[4:])]


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(40), strip_format(sample_615())])
    return engine


def _fresh(engine: Engine, now: dt.datetime, path: str) -> bytes:
    with TestClient(mirror_app(engine, clock=lambda: now, check_seconds=None)) as client:
        return client.get(path).content


@pytest.mark.parametrize("path", PATHS)
def test_a_later_second_brings_the_durations_current_without_a_statement(
    stored: Engine, statements: StatementCounter, path: str
) -> None:
    clock = Clock(START)
    with TestClient(mirror_app(stored, clock=clock, check_seconds=None)) as client:
        client.get(path)
        clock.now = START + dt.timedelta(days=3, seconds=7)
        statements.reset()
        later = client.get(path)
        assert statements.count == 0
    assert later.status_code == 200
    assert later.content == _fresh(stored, clock.now, path)


@pytest.mark.parametrize("path", CAPPED)
def test_beyond_the_memory_cap_pages_read_their_templates_and_are_the_same_bytes(
    stored: Engine, statements: StatementCounter, path: str
) -> None:
    clock = Clock(START)
    with TestClient(mirror_app(stored, clock=clock, check_seconds=None, cache_bytes=3000)) as tiny:
        statements.reset()
        capped = tiny.get(path)
        assert statements.count > 0  # the consistent read of the templates the cache lacks
        assert tiny.app.state.mirror.snapshots.templates.bytes <= 3000
    assert capped.status_code == 200
    assert capped.content == _fresh(stored, clock.now, path)


def test_a_change_to_a_shared_row_reaches_every_event_that_embeds_it(stored: Engine) -> None:
    path = "/2.2.0/docking_event/?limit=100&mode=detailed"
    with TestClient(mirror_app(stored, clock=Clock(START), check_seconds=None)) as client:
        before = client.get(path).json()["results"]
        edited = strip_format(sample_615())
        edited["flight_vehicle"]["spacecraft"]["spacecraft_config"]["agency"]["abbrev"] = "NEW"
        edited["space_station"]["name"] = "Tiangong (renamed)"
        with Session(stored) as session:
            store(session, [edited])
        client.app.state.mirror.snapshots.refresh()
        after = client.get(path).json()["results"]
    agencies = {
        e["flight_vehicle"]["spacecraft"]["spacecraft_config"]["agency"]["abbrev"] for e in after
    }
    assert agencies == {"NEW"}  # every event flies the same config, whose agency changed
    renamed = [e["id"] for e in after if e["space_station"]["name"] == "Tiangong (renamed)"]
    assert sorted(renamed) == sorted(
        e["id"] for e in before if e["space_station"]["id"] == edited["space_station"]["id"]
    )


def test_a_template_serves_both_modes_and_every_link_style() -> None:
    text = (
        '{"id":1,"url":"\x01/docking_event/1\x02","x":"https://a/b\x02","y":"c\x03"\x07,"s":1\x07}'
    )
    plain = compile_template(text, ("/", ""))
    suffixed = compile_template(text, (".json?format=x", ".json?format=x"))
    assert DETAILED not in repr(plain.head)
    assert b"".join(p for p in plain.head if isinstance(p, bytes)).endswith(
        b'"x":"https://a/b/","y":"c"'
    )
    assert b'"x":"https://a/b.json?format=x"' in b"".join(
        p for p in suffixed.head if isinstance(p, bytes)
    )
    assert plain.detailed == (b',"s":1',)
    assert plain.tail == b"}"


def test_the_template_cache_evicts_the_least_recent_within_its_byte_cap() -> None:
    small = compile_template('{"id":1\x07\x07}', ("/", ""))
    cache = TemplateCache(max_bytes=small.size * 2)
    cache.put_many([("a", small), ("b", small)])
    cache.put_many([("c", small)])  # over the cap: the least recently used goes
    assert cache.get_many(["a", "b", "c"]) == [None, small, small]
    assert cache.bytes <= cache.max_bytes
    huge = compile_template('{"id":1,"t":"' + "x" * 10_000 + '"\x07\x07}', ("/", ""))
    cache.put_many([("d", huge)])  # larger than the whole cache: not kept
    assert cache.get_many(["d"]) == [None]
    assert len(cache) == 2
