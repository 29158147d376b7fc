"""The mirror's documents stay in step with the tables: after any write, every event served from
its template is byte for byte what rendering its rows afresh gives, in both modes."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.drf.renderer import json_bytes
from harness.mirror_app import mirror_app
from models.ll2.graph import load_graphs
from models.ll2.render import LinkStyle, serialize_events
from models.store.tables import DockingEvent, EventDocument
from tests.api_mirror.dataset import FETCHED_AT, make_events, store
from worker.sync.store import delete_events

NOW = FETCHED_AT + dt.timedelta(days=2, seconds=17)
EVENTS = make_events(60, seed=3)
Edit = Callable[[Engine], None]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with Session(engine) as session:
        store(session, EVENTS)
    with TestClient(mirror_app(engine, clock=lambda: NOW, check_seconds=None)) as client:
        yield client


def _fresh_page(engine: Engine, detailed: bool) -> bytes:
    with Session(engine) as session:
        ids = list(session.scalars(select(DockingEvent.id).order_by(DockingEvent.id)))
        graphs = load_graphs(session, ids)
    results = serialize_events(
        graphs,
        mode="detailed" if detailed else "normal",
        links=LinkStyle("http://testserver/2.2.0"),
        now=NOW,
    )
    return json_bytes({"count": len(results), "next": None, "previous": None, "results": results})


def _craft_of(event: dict[str, Any]) -> int:
    return int(event["flight_vehicle"]["spacecraft"]["id"])


def _shared_craft() -> tuple[dict[str, Any], list[int]]:
    """An event whose spacecraft other events fly too, and those other events' ids."""
    for event in EVENTS:
        others = [e["id"] for e in EVENTS if _craft_of(e) == _craft_of(event) and e is not event]
        if others:
            return event, others
    raise AssertionError("the dataset has no shared spacecraft")


def rename_a_shared_spacecraft(engine: Engine) -> None:
    event, _ = _shared_craft()
    edited = copy.deepcopy(event)
    edited["flight_vehicle"]["spacecraft"]["name"] = "Renamed craft"
    edited["flight_vehicle"]["spacecraft"]["flights_count"] += 1
    with Session(engine) as session:
        store(session, [edited])


def undock_every_open_event(engine: Engine) -> None:
    closed = []
    for event in EVENTS:
        if event["departure"] is None:
            edited = copy.deepcopy(event)
            edited["departure"] = "2030-01-01T00:00:00Z"
            closed.append(edited)
    with Session(engine) as session:
        store(session, closed[: len(closed) // 2])


def _only_open_docking_of_a_shared_craft() -> dict[str, Any]:
    """The only open docking of a spacecraft that flies other (closed) events too."""
    return next(
        e
        for e in EVENTS
        if e["departure"] is None
        and all(
            o["departure"] is not None
            for o in EVENTS
            if _craft_of(o) == _craft_of(e) and o is not e
        )
        and sum(_craft_of(o) == _craft_of(e) for o in EVENTS) > 1
    )


def move_an_event_to_another_spacecraft(engine: Engine) -> None:
    # The only open docking of a spacecraft that has other (closed) ones: after the move that
    # spacecraft is docked nowhere, so its other events' time_docked stops growing.
    event = _only_open_docking_of_a_shared_craft()
    other = next(e for e in EVENTS if _craft_of(e) != _craft_of(event))
    edited = copy.deepcopy(event)
    edited["departure"] = None
    edited["flight_vehicle"] = copy.deepcopy(other["flight_vehicle"])
    with Session(engine) as session:
        store(session, [edited])


def delete_open_events(engine: Engine) -> None:
    open_ids = [e["id"] for e in EVENTS if e["departure"] is None]
    with Session(engine) as session:
        delete_events(session, open_ids[:3])
        session.commit()


def dock_a_new_visit(engine: Engine) -> None:
    _, others = _shared_craft()
    visit = copy.deepcopy(next(e for e in EVENTS if e["id"] == others[0]))
    visit["id"] = 9001
    visit["url"] = visit["url"].replace(f"/{others[0]}/", "/9001/")
    visit["departure"] = None
    with Session(engine) as session:
        store(session, [visit])


def _closed_shared_craft_event() -> dict[str, Any]:
    """An event of a spacecraft that flies other events too and is docked nowhere."""
    return next(
        e
        for e in EVENTS
        if all(o["departure"] is not None for o in EVENTS if _craft_of(o) == _craft_of(e))
        and sum(_craft_of(o) == _craft_of(e) for o in EVENTS) > 1
    )


def _on_a_new_flight(event: dict[str, Any], flight_id: int) -> dict[str, Any]:
    edited = copy.deepcopy(event)
    flight = edited["flight_vehicle"]
    flight["id"] = flight_id
    flight["url"] = flight["url"].replace(f"/{event['flight_vehicle']['id']}/", f"/{flight_id}/")
    return edited


def dock_on_a_new_flight(engine: Engine) -> None:
    # A spacecraft docked nowhere begins a flight the mirror has never seen and docks: its
    # other events' time_docked starts growing though none of their rows is written.
    visit = _on_a_new_flight(_closed_shared_craft_event(), 9901)
    visit["id"] = 9002
    visit["url"] = visit["url"].replace(f"/{_closed_shared_craft_event()['id']}/", "/9002/")
    visit["departure"] = None
    with Session(engine) as session:
        store(session, [visit])


def move_an_open_event_to_a_new_flight(engine: Engine) -> None:
    # The only open docking of a shared spacecraft moves to a new flight of a spacecraft docked
    # nowhere: both spacecraft change docked state, and the flight it left is stored.
    moved = _only_open_docking_of_a_shared_craft()
    target = _on_a_new_flight(_closed_shared_craft_event(), 9902)
    edited = copy.deepcopy(moved)
    edited["flight_vehicle"] = target["flight_vehicle"]
    with Session(engine) as session:
        store(session, [edited])


@pytest.mark.parametrize(
    "edits",
    [
        [],
        [rename_a_shared_spacecraft],
        [undock_every_open_event],
        [move_an_event_to_another_spacecraft],
        [delete_open_events],
        [dock_on_a_new_flight],
        [move_an_open_event_to_a_new_flight],
        [dock_a_new_visit, rename_a_shared_spacecraft, delete_open_events],
    ],
    ids=lambda edits: "+".join(edit.__name__ for edit in edits) or "stored",
)
@pytest.mark.parametrize("detailed", [False, True], ids=["normal", "detailed"])
def test_every_served_event_is_a_fresh_render_of_its_rows(
    client: TestClient, engine: Engine, edits: list[Edit], detailed: bool
) -> None:
    for edit in edits:
        edit(engine)
    client.app.state.mirror.snapshots.refresh()
    mode = "&mode=detailed" if detailed else ""
    served = client.get(f"/2.2.0/docking_event/?limit=100{mode}")
    assert served.status_code == 200
    assert served.content == _fresh_page(engine, detailed)


def test_a_deleted_event_leaves_a_tombstone_at_the_deletion_version(engine: Engine) -> None:
    with Session(engine) as session:
        store(session, EVENTS[:5])
        delete_events(session, [EVENTS[0]["id"]])
        session.commit()
        document = session.get(EventDocument, EVENTS[0]["id"])
        others = [session.get(EventDocument, e["id"]) for e in EVENTS[1:5]]
    assert document is not None
    assert (document.removed, document.template, document.version) == (True, None, 2)
    assert all(other is not None and not other.removed for other in others)
