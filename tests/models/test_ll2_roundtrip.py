"""The LL2 representation round-trips: parsing an event's rendered detailed JSON gives its rows.

The sync parses upstream JSON into rows (``models.ll2.parse``) and both the mirror and the
notifications render rows back into JSON (``models.ll2.render``): the two halves of one
representation must agree field for field, on every stored event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from models.ll2.formats import current_seconds
from models.ll2.graph import load_graphs
from models.ll2.parse import ParsedEvent, parse_event
from models.ll2.render import LinkStyle, serialize_event
from models.store.tables import (
    Agency,
    DockingEvent,
    DockingLocation,
    Spacecraft,
    SpacecraftConfig,
    SpacecraftConfigType,
    SpacecraftFlight,
    SpacecraftStatus,
    SpaceStation,
)
from tests.api_mirror.dataset import FETCHED_AT, UPSTREAM, make_events, sample_615, store
from worker.sync.rows import load_rows

LATER = FETCHED_AT + dt.timedelta(days=3, seconds=17)
DURATIONS = ("time_in_space_seconds", "time_docked_seconds", "durations_fetched_at")


def _rows_of(parsed: ParsedEvent) -> list[tuple[type[SQLModel], dict[str, Any]]]:
    single = [
        (DockingEvent, parsed.event),
        (SpacecraftFlight, parsed.flight),
        (Spacecraft, parsed.spacecraft),
        (SpacecraftStatus, parsed.status),
        (SpacecraftConfig, parsed.config),
        (SpacecraftConfigType, parsed.config_type),
        (Agency, parsed.agency),
        (DockingLocation, parsed.location),
    ]
    stations = [(SpaceStation, row) for row in parsed.stations]
    return [(model, row) for model, row in single + stations if row is not None]


def test_parsing_the_rendered_detailed_json_of_every_stored_event_gives_its_rows(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        store(session, [sample_615(), *make_events(60, seed=3, first_id=1000)])
        ids = list(session.exec(select(DockingEvent.id).order_by(DockingEvent.id)).all())
        graphs = load_graphs(session, ids)
        assert len(graphs) == 61
        compared = 0
        for graph in graphs:
            body = serialize_event(graph, mode="detailed", links=LinkStyle(UPSTREAM), now=LATER)
            parsed = parse_event(body, fetched_at=LATER)
            for model, row in _rows_of(parsed):
                stored = load_rows(session, model, [row["id"]])[row["id"]]
                plain = {k: v for k, v in row.items() if k not in DURATIONS}
                assert plain == {k: stored[k] for k in plain}, (model.__name__, row["id"])
                compared += 1
            craft = graph.spacecraft
            if craft is not None and parsed.spacecraft is not None:
                # Durations render current as of LATER; parsed, they count from LATER.
                in_space = current_seconds(
                    craft.time_in_space_seconds,
                    craft.durations_fetched_at,
                    bool(craft.in_space),
                    LATER,
                )
                docked = current_seconds(
                    craft.time_docked_seconds,
                    craft.durations_fetched_at,
                    graph.spacecraft_has_open_docking,
                    LATER,
                )
                assert parsed.spacecraft["time_in_space_seconds"] == in_space
                assert parsed.spacecraft["time_docked_seconds"] == docked
                assert parsed.spacecraft["durations_fetched_at"] == LATER
        assert compared > 61 * 5  # every nested object of every event was compared
