"""The store upserts upstream pages idempotently and reports semantic changes."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.store.tables import (
    Agency,
    DockingEvent,
    DockingLocation,
    Spacecraft,
    SpacecraftConfig,
    SpaceStation,
)
from tests.conftest import DATA_DIR
from worker.sync.changes import ChangeKind, removal_changes
from worker.sync.store import apply_page, delete_events

NOW = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)


def sample_615() -> dict[str, Any]:
    path = DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json"
    return json.loads(path.read_text())


@pytest.fixture
def write_statements(engine: Engine) -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE the engine runs during the test."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_sample_event_lands_in_every_table(session: Session) -> None:
    result = apply_page(session, [sample_615()], now=NOW)
    session.commit()

    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert [change.kind for change in result.changes] == [ChangeKind.CREATED]
    stored = session.get(DockingEvent, 615)
    assert stored is not None
    assert stored.docking == dt.datetime(2024, 11, 15, 18, 32, tzinfo=dt.UTC)
    assert stored.departure is None
    assert (stored.flight_vehicle_id, stored.docking_location_id, stored.space_station_id) == (
        864,
        32,
        18,
    )
    craft = session.get(Spacecraft, 602)
    assert craft is not None
    assert craft.url == "https://ll.thespacedevs.com/2.2.0/spacecraft/602/"
    assert craft.time_in_space_seconds == 139 * 86400 + 10 * 3600 + 52 * 60 + 14
    assert craft.durations_fetched_at == NOW
    config = session.get(SpacecraftConfig, 25)
    assert config is not None
    assert config.height == 9.0
    assert config.maiden_flight == dt.date(2017, 4, 20)
    assert config.info_link == ""
    assert config.nation_url is None
    agency = session.get(Agency, 88)
    assert agency is not None
    assert (agency.founding_year, agency.spacecraft, agency.parent) == ("1999", "", None)
    station = session.get(SpaceStation, 18)
    assert station is not None
    assert station.image_url is not None
    assert station.image_url.endswith("tiangong_space__image_20231031004146.png")


def test_unchanged_page_writes_nothing(engine: Engine, write_statements: list[str]) -> None:
    with Session(engine) as session:
        apply_page(session, [sample_615()], now=NOW)
        session.commit()
    write_statements.clear()

    later = NOW + dt.timedelta(minutes=10)
    again = sample_615()
    # Upstream recomputes both durations on every request: ten minutes more of each.
    again["flight_vehicle"]["spacecraft"]["time_in_space"] = "P139DT11H2M14S"
    again["flight_vehicle"]["spacecraft"]["time_docked"] = "P139DT7H43M33S"
    with Session(engine) as session:
        result = apply_page(session, [again], now=later)
        session.commit()
        stored = session.get(DockingEvent, 615)

    assert write_statements == []
    assert (result.rows_written, result.changes, result.unchanged) == (0, [], 1)
    assert stored is not None
    assert stored.row_version == 1


def test_corrected_duration_is_rewritten_without_a_change(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    corrected = sample_615()
    corrected["flight_vehicle"]["spacecraft"]["time_in_space"] = "P200D"
    result = apply_page(session, [corrected], now=NOW)

    assert result.changes == []
    craft = session.get(Spacecraft, 602)
    assert craft is not None
    assert craft.time_in_space_seconds == 200 * 86400


def test_departure_set_is_an_undocking(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    undocked = sample_615()
    undocked["departure"] = "2025-07-01T10:00:00Z"
    result = apply_page(session, [undocked], now=NOW)

    [change] = result.changes
    assert change.kind is ChangeKind.DEPARTURE_SET
    departure = dt.datetime(2025, 7, 1, 10, tzinfo=dt.UTC)
    assert change.fields == {"departure": (None, departure)}
    assert change.departure == departure
    stored = session.get(DockingEvent, 615)
    assert stored is not None
    assert stored.row_version == 2


def test_departure_cleared_is_its_own_kind(session: Session) -> None:
    undocked = sample_615()
    undocked["departure"] = "2025-07-01T10:00:00Z"
    apply_page(session, [undocked], now=NOW)
    result = apply_page(session, [sample_615()], now=NOW)

    assert [change.kind for change in result.changes] == [ChangeKind.DEPARTURE_CLEARED]


def test_docking_time_and_location_changes_are_updates(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    edited = sample_615()
    edited["docking"] = "2024-11-15T18:33:00.250000Z"
    edited["docking_location"] = {"id": 33, "name": "Tianhe forward", "spacestation": None}
    result = apply_page(session, [edited], now=NOW)

    [change] = result.changes
    assert change.kind is ChangeKind.UPDATED
    assert change.fields == {
        "docking": (
            dt.datetime(2024, 11, 15, 18, 32, tzinfo=dt.UTC),
            dt.datetime(2024, 11, 15, 18, 33, 0, 250000, tzinfo=dt.UTC),
        ),
        "docking_location": (32, 33),
    }


def test_nested_edit_counts_as_updated_without_a_semantic_change(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    edited = sample_615()
    edited["flight_vehicle"]["spacecraft"]["description"] = "Eighth Tianzhou"
    result = apply_page(session, [edited], now=NOW)

    assert (result.updated, result.changes) == (1, [])
    craft = session.get(Spacecraft, 602)
    assert craft is not None
    assert craft.description == "Eighth Tianzhou"


def test_missing_optional_field_keeps_the_stored_value(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    partial = sample_615()
    del partial["flight_vehicle"]["spacecraft"]["serial_number"]
    partial["flight_vehicle"]["spacecraft"]["brand_new_field"] = {"x": 1}
    result = apply_page(session, [partial], now=NOW)

    assert (result.rows_written, result.unchanged) == (0, 1)
    craft = session.get(Spacecraft, 602)
    assert craft is not None
    assert craft.serial_number == "8"


def test_malformed_event_is_skipped_and_the_rest_applied(session: Session) -> None:
    broken = copy.deepcopy(sample_615())
    broken["id"] = 616
    broken["docking"] = "not a date"
    result = apply_page(session, [broken, sample_615(), "junk"], now=NOW)

    assert (result.created, result.skipped) == (1, 2)
    assert session.exec(select(DockingEvent.id)).all() == [615]


def test_removal_reports_the_last_state_then_deletes(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    changes = removal_changes(session, [615, 9999])
    deleted = delete_events(session, [615])

    assert [(change.kind, change.event_id) for change in changes] == [(ChangeKind.REMOVED, 615)]
    assert deleted == 1
    assert session.get(DockingEvent, 615) is None
    assert session.get(Spacecraft, 602) is not None


def test_a_visit_first_seen_already_over_is_a_dock_then_an_undock(session: Session) -> None:
    closed = sample_615()
    closed["departure"] = "2025-01-10T08:00:00Z"
    result = apply_page(session, [closed], now=NOW)

    assert [change.kind for change in result.changes] == [
        ChangeKind.CREATED,
        ChangeKind.DEPARTURE_SET,
    ]
    departure = dt.datetime(2025, 1, 10, 8, tzinfo=dt.UTC)
    assert result.changes[1].fields == {"departure": (None, departure)}


def _with(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``event`` with the value at dotted ``path`` replaced."""
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    target[last] = value
    return event


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("id", "abc", "Expected `int`, got `str` - at `$.id`"),
        ("id", 10**30, "Expected `int` <= 9223372036854775807 - at `$.id`"),
        ("id", -5, "Expected `int` >= 1 - at `$.id`"),
        ("id", True, "Expected `int`, got `bool` - at `$.id`"),
        ("docking", None, "at `$.docking`"),
        ("flight_vehicle", None, "Expected `object`, got `null` - at `$.flight_vehicle`"),
        ("docking_location", None, "at `$.docking_location`"),
        ("space_station", None, "at `$.space_station`"),
        ("flight_vehicle.spacecraft", None, "at `$.flight_vehicle.spacecraft`"),
        ("flight_vehicle.spacecraft.name", 42, "got `int` - at `$.flight_vehicle.spacecraft.name`"),
        ("flight_vehicle.spacecraft.flights_count", 2**63, "flights_count`"),
        ("flight_vehicle.spacecraft.time_in_space", "P99999999999999D", "time_in_space`"),
        ("flight_vehicle.spacecraft.spacecraft_config.height", float("nan"), "height`"),
        ("flight_vehicle.spacecraft.spacecraft_config.agency.id", 0, "agency.id`"),
        ("docking_location.spacestation.id", "18", "spacestation.id`"),
    ],
)
def test_an_event_breaking_the_schema_is_skipped_and_the_stored_one_kept(
    session: Session, caplog: pytest.LogCaptureFixture, path: str, value: Any, reason: str
) -> None:
    apply_page(session, [sample_615()], now=NOW)
    session.commit()
    neighbour = _with(sample_615(), "id", 616)
    caplog.set_level(logging.WARNING, logger="worker.sync.store")

    result = apply_page(session, [_with(sample_615(), path, value), neighbour], now=NOW)

    assert (result.created, result.updated, result.skipped) == (1, 0, 1)
    assert [(change.kind, change.event_id) for change in result.changes] == [
        (ChangeKind.CREATED, 616)
    ]
    stored = session.get(DockingEvent, 615)
    assert stored is not None
    assert (stored.row_version, stored.flight_vehicle_id, stored.docking_location_id) == (
        1,
        864,
        32,
    )
    craft = session.get(Spacecraft, 602)
    assert craft is not None
    assert craft.name == "Tianzhou-8"
    [warning] = caplog.records
    assert reason in warning.getMessage()
    assert "the stored version is kept" in warning.getMessage()


def test_a_bad_id_is_quoted_clipped_in_the_warning(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="worker.sync.store")
    result = apply_page(session, [_with(sample_615(), "id", "x" * 500)], now=NOW)

    assert result.skipped == 1
    [warning] = caplog.records
    assert "skipping docking event 'xxxx" in warning.getMessage()
    assert "x" * 60 not in warning.getMessage()


def test_nulls_the_schema_allows_are_applied(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    unlinked = _with(sample_615(), "docking_location.spacestation", None)
    _with(unlinked, "flight_vehicle.spacecraft.serial_number", None)
    result = apply_page(session, [unlinked], now=NOW)

    assert (result.updated, result.skipped) == (1, 0)
    location = session.get(DockingLocation, 32)
    craft = session.get(Spacecraft, 602)
    assert location is not None
    assert craft is not None
    assert (location.spacestation_id, craft.serial_number) == (None, None)


def test_a_no_op_resync_costs_one_select_per_page(engine: Engine) -> None:
    with Session(engine) as session:
        apply_page(session, [sample_615()], now=NOW)
        session.commit()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    later = NOW + dt.timedelta(minutes=10)
    again = sample_615()
    again["flight_vehicle"]["spacecraft"]["time_in_space"] = "P139DT11H2M14S"
    again["flight_vehicle"]["spacecraft"]["time_docked"] = "P139DT7H43M33S"
    event.listen(engine, "before_cursor_execute", record)
    with Session(engine) as session:
        result = apply_page(session, [again], now=later)
    event.remove(engine, "before_cursor_execute", record)

    assert (result.unchanged, result.seen_ids, result.rows_written) == (1, [615], 0)
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_a_row_stored_before_digests_gets_one_once(session: Session) -> None:
    apply_page(session, [sample_615()], now=NOW)
    stored = session.get(DockingEvent, 615)
    assert stored is not None
    stored.payload_digest = None
    session.add(stored)
    session.flush()

    first = apply_page(session, [sample_615()], now=NOW)
    second = apply_page(session, [sample_615()], now=NOW)

    assert (first.rows_written, first.changes, first.unchanged) == (1, [], 1)
    assert (second.rows_written, second.unchanged) == (0, 1)
