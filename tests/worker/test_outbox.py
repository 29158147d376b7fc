"""The outbox records one CloudEvent per semantic change, in the sync's own transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.store.outbox import outbox_backlog
from tests.worker.notifications import (
    DOCKED,
    NOW,
    UPSTREAM,
    cloudevent_problems,
    outbox_rows,
    remove,
    sync,
    upstream_event,
)
from worker.notify.outbox import OutboxError, record_changes
from worker.sync.changes import removal_changes
from worker.sync.store import apply_page, delete_events

DEPARTED = dt.datetime(2025, 5, 20, 9, 15, tzinfo=dt.UTC)
CORRECTED = DOCKED + dt.timedelta(minutes=7)


def play_story(engine: Engine, repeats: int = 1) -> list[int]:
    """New docking, departure set, docking time corrected, removed; each step synced N times."""
    steps = [
        [upstream_event(615)],
        [upstream_event(615, departure=DEPARTED)],
        [upstream_event(615, docking=CORRECTED, departure=DEPARTED)],
    ]
    written: list[int] = []
    for page in steps:
        written.extend(sync(engine, page) for _ in range(repeats))
    written.append(remove(engine, [615]))
    return written


def test_story_records_docked_undocked_updated_removed_in_order(engine: Engine) -> None:
    play_story(engine)

    rows = outbox_rows(engine)
    assert [row.type for row in rows] == [
        "docking_event.docked",
        "docking_event.undocked",
        "docking_event.updated",
        "docking_event.removed",
    ]
    assert [row.sequence for row in rows] == [1, 2, 3, 4]
    assert [row.payload["sequence"] for row in rows] == [f"{n:010d}" for n in (1, 2, 3, 4)]
    assert {row.subject for row in rows} == {"615"}
    assert all(row.published_at is None for row in rows)


def test_resyncing_the_same_pages_records_nothing_more(engine: Engine) -> None:
    written = play_story(engine, repeats=3)

    assert written == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert len(outbox_rows(engine)) == 4


def test_events_carry_upstream_instants_and_field_changes(engine: Engine) -> None:
    play_story(engine)
    docked, undocked, updated, removed = (row.payload for row in outbox_rows(engine))

    assert docked["time"] == "2024-11-15T18:32:00Z"
    assert docked["data"]["changes"] == {
        "docking": [None, "2024-11-15T18:32:00Z"],
        "docking_location": [None, 32],
        "space_station": [None, 18],
        "flight_vehicle": [None, 864],
    }
    assert undocked["time"] == "2025-05-20T09:15:00Z"
    assert undocked["data"]["changes"] == {"departure": [None, "2025-05-20T09:15:00Z"]}
    assert updated["time"] == "2024-11-15T18:39:00Z"
    assert updated["data"]["changes"] == {
        "docking": ["2024-11-15T18:32:00Z", "2024-11-15T18:39:00Z"]
    }
    assert removed["time"] == "2025-04-04T05:24:14Z"
    assert removed["data"]["changes"] == {}
    assert removed["data"]["docking_event"]["docking"] == "2024-11-15T18:39:00Z"
    assert removed["data"]["docking_event"]["departure"] == "2025-05-20T09:15:00Z"


def test_a_docked_notification_lists_only_fields_with_a_value(engine: Engine) -> None:
    sync(engine, [upstream_event(615)])
    sync(engine, [upstream_event(616, departure=DEPARTED)])  # a visit already over when seen
    open_visit, closed_visit, undocked = (row.payload for row in outbox_rows(engine))

    assert [open_visit["type"], closed_visit["type"], undocked["type"]] == [
        "docking_event.docked",
        "docking_event.docked",
        "docking_event.undocked",
    ]
    assert "departure" not in open_visit["data"]["changes"]
    assert closed_visit["data"]["changes"]["departure"] == [None, "2025-05-20T09:15:00Z"]
    for event in (open_visit, closed_visit):
        assert all(new is not None for _old, new in event["data"]["changes"].values())


def test_credentials_in_the_upstream_url_never_reach_a_notification(engine: Engine) -> None:
    with Session(engine) as session:
        result = apply_page(session, [upstream_event(615)], now=NOW)
        base = "https://reader:s3cret-pw@ll.example/2.2.0"
        assert record_changes(session, result.changes, upstream_base=base, now=NOW) == 1
        session.commit()
    [row] = outbox_rows(engine)

    assert "s3cret-pw" not in str(row.payload)
    assert "reader" not in str(row.payload)
    assert row.payload["source"] == "https://ll.example/2.2.0/docking_event/615/"
    assert row.payload["data"]["docking_event"]["url"] == row.payload["source"]


def test_data_holds_the_normal_mode_event_after_the_change(engine: Engine) -> None:
    play_story(engine)
    undocked = outbox_rows(engine)[1].payload

    event = undocked["data"]["docking_event"]
    assert list(event) == [
        "id",
        "url",
        "launch_id",
        "docking",
        "departure",
        "flight_vehicle",
        "docking_location",
    ]
    assert event["url"] == f"{UPSTREAM}/docking_event/615/"
    assert event["departure"] == "2025-05-20T09:15:00Z"
    assert "agency" in event["flight_vehicle"]["spacecraft"]["spacecraft_config"]
    assert undocked["source"] == f"{UPSTREAM}/docking_event/615/"
    assert undocked["subject"] == "615"
    assert undocked["datacontenttype"] == "application/json"


def test_every_event_is_a_valid_cloudevent_with_a_unique_id(engine: Engine) -> None:
    play_story(engine)
    sync(engine, [upstream_event(700), upstream_event(701, location_id=33)])
    sync(engine, [upstream_event(701, departure=DEPARTED)])
    sync(engine, [upstream_event(700, location_id=34)])
    remove(engine, [700])

    events = [row.payload for row in outbox_rows(engine)]
    assert len(events) == 9
    assert {event["id"] for event in events} == {row.event_id for row in outbox_rows(engine)}
    assert len({event["id"] for event in events}) == len(events)
    for event in events:
        assert cloudevent_problems(event) == [], event["type"]


def test_a_change_flipped_back_and_forth_gets_a_new_id_each_time(engine: Engine) -> None:
    sync(engine, [upstream_event(615)])
    for _ in range(2):
        sync(engine, [upstream_event(615, location_id=40)])
        sync(engine, [upstream_event(615)])

    rows = outbox_rows(engine)
    assert [row.type for row in rows] == ["docking_event.docked"] + ["docking_event.updated"] * 4
    assert len({row.event_id for row in rows}) == 5


def test_an_event_recreated_after_removal_is_docked_again(engine: Engine) -> None:
    sync(engine, [upstream_event(615)])
    remove(engine, [615])
    sync(engine, [upstream_event(615)])  # same data, same clock: still a new change

    rows = outbox_rows(engine)
    assert [row.type for row in rows] == [
        "docking_event.docked",
        "docking_event.removed",
        "docking_event.docked",
    ]
    assert [row.sequence for row in rows] == [1, 2, 3]
    assert rows[0].event_id != rows[2].event_id


def test_recording_the_same_changes_twice_writes_them_once(session: Session) -> None:
    result = apply_page(session, [upstream_event(615), upstream_event(616)], now=NOW)

    first = record_changes(session, result.changes, upstream_base=UPSTREAM, now=NOW)
    again = record_changes(session, result.changes * 2, upstream_base=UPSTREAM, now=NOW)

    assert (first, again) == (2, 0)
    assert outbox_backlog(session) == 2


def test_outbox_rows_vanish_with_a_rolled_back_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        result = apply_page(session, [upstream_event(615)], now=NOW)
        assert record_changes(session, result.changes, upstream_base=UPSTREAM, now=NOW) == 1
        session.rollback()

    assert outbox_rows(engine) == []


def test_recording_a_removal_after_the_delete_is_refused(session: Session) -> None:
    apply_page(session, [upstream_event(615)], now=NOW)
    changes = removal_changes(session, [615])
    delete_events(session, [615])

    with pytest.raises(OutboxError, match="record before deleting"):
        record_changes(session, changes, upstream_base=UPSTREAM, now=NOW)


def test_no_changes_write_nothing(session: Session) -> None:
    assert record_changes(session, [], upstream_base=UPSTREAM, now=NOW) == 0
    assert outbox_backlog(session) == 0
