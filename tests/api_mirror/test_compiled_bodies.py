"""Bodies compiled once per event in the snapshot: current durations in any second, no statement
per request (not even for an event never asked for), shared rows changed once for every event,
and a snapshot built from the previous one plus what changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.read.bodies import BodyWriter, event_body
from api_mirror.read.compiled import compile_template
from api_mirror.read.current import Snapshots
from api_mirror.read.snapshot import Entry
from harness.mirror_app import mirror_app
from models.store.read_model import epoch_micros
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
# Events never asked for before (and other link styles): still no statement.
UNSEEN = [*PATHS[:4], *(path.replace("615", "1") for path in PATHS[4:])]


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(40), strip_format(sample_615())])
    return engine


def _fresh(engine: Engine, now: dt.datetime, path: str) -> bytes:
    with TestClient(mirror_app(engine, clock=lambda: now, check_seconds=None)) as client:
        return client.get(path).content


@pytest.mark.parametrize("path", sorted({*PATHS, *UNSEEN}))
def test_no_request_reads_the_database_and_a_later_second_brings_the_durations_current(
    stored: Engine, statements: StatementCounter, path: str
) -> None:
    clock = Clock(START)
    with TestClient(mirror_app(stored, clock=clock, check_seconds=None)) as client:
        statements.reset()
        first = client.get(path)  # every body is in the snapshot, even one never asked for
        assert statements.count == 0
        clock.now = START + dt.timedelta(days=3, seconds=7)
        later = client.get(path)
        assert statements.count == 0
    assert first.status_code == later.status_code == 200
    assert first.content == _fresh(stored, START, path)
    assert later.content == _fresh(stored, clock.now, path)


def test_a_new_snapshot_keeps_the_bodies_of_the_events_that_did_not_change(
    stored: Engine,
) -> None:
    snapshots = Snapshots(stored)
    before = snapshots.refresh()
    edited = strip_format(sample_615())
    edited["departure"] = "2025-01-01T00:00:00Z"
    with Session(stored) as session:
        store(session, [edited])
    after = snapshots.refresh()
    assert after.version > before.version
    assert after.entries[615].body is not before.entries[615].body
    unchanged = [ident for ident in before.entries if ident != 615]
    assert unchanged
    assert all(after.entries[i] is before.entries[i] for i in unchanged)
    assert b'"departure":"2025-01-01T00:00:00Z"' in _body(after.entries[615], ("/", ""))


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


def _body(entry: Entry, ends: tuple[str, str], *, detailed: bool = True) -> bytes:
    writer = BodyWriter("http://h/2.2.0", ends, {b"t6": b'{"id":6}'}, detailed=detailed, now=START)
    return event_body(writer, entry)


def _entry(template: str) -> Entry:
    keys = dict.fromkeys(("departure", "station_id", "flight_id", "location_id", "craft_name"))
    durations = dict.fromkeys(("in_space", "docked", "durations_at"))
    return Entry(id=1, docking=0, **keys, **durations, body=compile_template(template))


def test_one_compiled_body_serves_both_modes_and_every_link_style() -> None:
    entry = _entry(
        '{"id":1,"url":"\x01/docking_event/1\x02","x":"https://a/b\x02","y":"c\x03"'
        '\x07,"s":\x06t6\x06\x07}'
    )
    assert entry.body is not None
    plain = _body(entry, ("/", ""), detailed=False)
    assert plain == (b'{"id":1,"url":"http://h/2.2.0/docking_event/1/","x":"https://a/b/","y":"c"}')
    suffixed = _body(entry, (".json?format=x", ".json?format=x"))
    assert suffixed == (
        b'{"id":1,"url":"http://h/2.2.0/docking_event/1.json?format=x",'
        b'"x":"https://a/b.json?format=x","y":"c.json?format=x","s":{"id":6}}'
    )


def test_a_template_without_its_detailed_marks_is_refused() -> None:
    with pytest.raises(ValueError, match="two DETAILED marks"):
        compile_template('{"id":1}')


def test_a_page_resolves_each_events_detailed_part_refs_and_growing_durations() -> None:
    fetched = epoch_micros(START - dt.timedelta(seconds=90))
    growing = replace(
        _entry('{"id":1,"t":"\x04","s":\x06t6\x06\x07,"d":1\x07}'),
        in_space=30,
        durations_at=fetched,
    )
    still = _entry('{"id":2,"t":"P1D","s":\x06t9\x06\x07,"d":2\x07}')
    normal = BodyWriter("http://h", ("/", ""), {b"t6": b"6"}, detailed=False, now=START)
    assert (
        normal.events([growing, still]) == b'{"id":1,"t":"PT2M","s":6},{"id":2,"t":"P1D","s":null}'
    )
    assert normal.growing
    detailed = BodyWriter("http://h", ("/", ""), {}, detailed=True, now=START)
    assert detailed.events([still]) == b'{"id":2,"t":"P1D","s":null,"d":2}'
    assert not detailed.growing


def test_a_duration_mark_without_its_stored_value_leaves_no_mark_and_is_not_growing() -> None:
    unknown = _entry('{"id":3,"t":"\x05"\x07\x07}')
    writer = BodyWriter("http://h", ("/", ""), {}, detailed=False, now=START)
    assert writer.events([unknown]) == b'{"id":3,"t":"null"}'  # as the pieces wrote it before
    assert not writer.growing
