"""load_graphs: every embedded row, the ids' order, a fixed number of statements."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from models.ll2.graph import load_graphs
from tests.api_mirror.conftest import StatementCounter
from tests.api_mirror.dataset import make_events, sample_615, store, strip_format


def test_graph_holds_every_embedded_row(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    assert graph.event.id == 615
    assert graph.flight is not None
    assert graph.flight.id == 864
    assert graph.spacecraft is not None
    assert graph.spacecraft.name == "Tianzhou-8"
    assert graph.status is not None
    assert graph.status.name == "Single Use"
    assert graph.config is not None
    assert graph.config.id == 25
    assert graph.config_type is not None
    assert graph.config_type.name == "Cargo Resupply"
    assert graph.agency is not None
    assert graph.agency.abbrev == "CASC"
    assert graph.location is not None
    assert graph.location.name == "Tianhe aft"
    assert graph.location_station is not None
    assert graph.location_station.id == 18
    assert graph.space_station is not None
    assert graph.space_station.image_url
    assert graph.spacecraft_has_open_docking


def test_graphs_come_back_in_the_ids_order_and_unknown_ids_are_skipped(session: Session) -> None:
    store(session, make_events(12))
    graphs = load_graphs(session, [9, 3, 999, 12, 1])
    assert [graph.event.id for graph in graphs] == [9, 3, 12, 1]


def test_open_docking_is_per_spacecraft_even_on_closed_events(session: Session) -> None:
    events = make_events(3)
    for event in events:
        event["flight_vehicle"]["id"] = 1000 + event["id"]
        event["flight_vehicle"]["spacecraft"]["id"] = 77
    events[0]["departure"] = None
    events[1]["departure"] = events[2]["departure"] = "2001-01-01T00:00:00Z"
    store(session, events)
    assert all(g.spacecraft_has_open_docking for g in load_graphs(session, [1, 2, 3]))
    events[0]["departure"] = "2001-01-01T00:00:00Z"
    store(session, events, now=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    assert not any(g.spacecraft_has_open_docking for g in load_graphs(session, [1, 2, 3]))


def test_statement_count_does_not_depend_on_the_number_of_ids(
    session: Session, statements: StatementCounter
) -> None:
    store(session, make_events(150))
    counts = []
    for size in (1, 10, 150):
        session.expunge_all()
        statements.reset()
        assert len(load_graphs(session, list(range(1, size + 1)))) == size
        counts.append(statements.count)
    assert counts[0] == counts[1] == counts[2]


def test_no_ids_means_no_statements(session: Session, statements: StatementCounter) -> None:
    assert load_graphs(session, []) == []
    assert statements.count == 0


def test_datetimes_come_back_timezone_aware_utc(session: Session) -> None:
    store(session, [strip_format(sample_615())])
    [graph] = load_graphs(session, [615])
    assert graph.spacecraft is not None
    assert graph.flight is not None
    moments = [
        graph.event.docking,
        graph.event.last_changed_at,
        graph.spacecraft.durations_fetched_at,
    ]
    for moment in moments:
        assert moment is not None
        assert moment.utcoffset() == dt.timedelta(0)
