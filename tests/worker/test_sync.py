"""The sync engine against the fake upstream: fill, steady-state poll, faults, budget, removal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fake_upstream import DEFAULT_NOW, FakeUpstream, make_event
from harness.sync_rig import SyncHarness, without_event_urls
from models.store.tables import DockingEvent, RemovalCandidate
from worker.sync.summary import Mode

HOUR = dt.timedelta(hours=1)


def data_writes(engine: Engine) -> list[str]:
    """Collects INSERT/UPDATE/DELETE statements on data tables (bookkeeping excluded)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("INSERT", "UPDATE", "DELETE")) and "SYNC_STATE" not in text:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def open_ids(engine: Engine) -> set[int]:
    with Session(engine) as session:
        rows = session.exec(select(DockingEvent.id).where(DockingEvent.departure == None))  # noqa: E711
        return set(rows.all())


def test_first_fill_mirrors_every_event_field_for_field(harness: SyncHarness) -> None:
    summary = harness.fill()

    assert summary.complete
    assert summary.requests == 7  # 650 events, 100 a page
    assert summary.created == 650
    assert without_event_urls(harness.local_events()) == without_event_urls(
        harness.upstream_events()
    )


def test_steady_poll_costs_one_request_and_sees_a_dock_and_an_undock(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    harness.advance(dt.timedelta(minutes=5))
    newest_open = max(open_ids(engine))
    fake.set_departure(newest_open, harness.now - dt.timedelta(minutes=2))
    fake.add_event(make_event(90001, harness.now - dt.timedelta(minutes=1), now=harness.now))
    fake.log.clear()

    summary = harness.cycle()

    assert summary.requests == 1 == fake.log.count()
    params = fake.log.records[0].params
    assert params["mode"] == "detailed"
    assert params["limit"] == "100"
    assert "docking__gte" in params
    assert (summary.created, summary.complete) == (1, True)
    assert 90001 in open_ids(engine)
    assert newest_open not in open_ids(engine)
    assert without_event_urls(harness.local_events()) == without_event_urls(
        harness.upstream_events()
    )


def test_second_cycle_with_nothing_changed_writes_nothing(
    harness: SyncHarness, engine: Engine
) -> None:
    harness.fill()
    harness.advance(dt.timedelta(minutes=5))
    harness.cycle()
    with Session(engine) as session:
        versions_before = session.exec(select(func.sum(DockingEvent.row_version))).one()
    writes = data_writes(engine)
    harness.advance(dt.timedelta(minutes=5))

    summary = harness.cycle(Mode.FULL)

    assert writes == []
    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0)
    assert summary.unchanged > 650  # the poll's window plus the whole sweep
    with Session(engine) as session:
        assert session.exec(select(func.sum(DockingEvent.row_version))).one() == versions_before


def test_poll_with_nothing_open_asks_for_the_newest_by_docking(
    engine: Engine, redis_prefix: str
) -> None:
    closed = [
        make_event(i, f"2020-01-{i:02d}T00:00:00Z", f"2020-02-{i:02d}T00:00:00Z")
        for i in range(1, 6)
    ]
    with FakeUpstream(closed, now=DEFAULT_NOW) as fake:
        rig = SyncHarness(engine, fake, redis_prefix)
        rig.fill()
        fake.log.clear()
        summary = rig.cycle()
        rig.close()
    assert summary.requests == 1
    assert fake.log.records[0].params["ordering"] == "-docking"


def test_window_over_a_hundred_follows_next(engine: Engine, redis_prefix: str) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    events = [make_event(1, start)] + [
        make_event(i, start + dt.timedelta(hours=i), start + dt.timedelta(hours=i, minutes=30))
        for i in range(2, 160)
    ]
    with FakeUpstream(events, now=DEFAULT_NOW) as fake:
        rig = SyncHarness(engine, fake, redis_prefix)
        rig.fill()
        fake.log.clear()
        summary = rig.cycle()
        rig.close()
    assert summary.requests == 2
    assert summary.unchanged == 159


# ----------------------------------------------------------------------------- faults


def test_a_short_503_burst_is_retried_within_the_cycle(
    harness: SyncHarness, fake: FakeUpstream
) -> None:
    harness.fill()
    fake.faults.unavailable(times=2)
    summary = harness.cycle()
    assert summary.complete
    assert summary.requests == 3
    assert len(harness.sleeps) == 2


def test_a_long_outage_stops_the_cycle_and_loses_nothing(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    before = harness.local_events()
    fake.faults.unavailable(times=None)
    failed = harness.cycle(Mode.FULL)
    fake.faults.clear()

    assert not failed.complete
    assert failed.error is not None
    assert harness.local_events() == before
    assert harness.cycle(Mode.FULL).complete
    assert without_event_urls(harness.local_events()) == without_event_urls(
        harness.upstream_events()
    )


def test_retry_after_beyond_max_wait_is_honoured_by_every_client(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine, redis_prefix: str
) -> None:
    harness.fill()
    fake.faults.throttle(120)
    fake.log.clear()

    throttled = harness.cycle()
    other = SyncHarness(engine, fake, redis_prefix)  # another process's client, same budget
    other.now = harness.now = harness.now + dt.timedelta(seconds=119)
    blocked = other.cycle()
    other.advance(dt.timedelta(seconds=2))
    harness.advance(dt.timedelta(seconds=2))
    resumed = harness.cycle()
    other.close()

    assert (throttled.complete, throttled.reason, throttled.requests) == (False, "throttled", 1)
    assert harness.sleeps == []  # 120 s is longer than the policy's max wait: not slept on
    # Held back by the persisted Retry-After (not the hour's count): the reason says which.
    assert (blocked.complete, blocked.reason, blocked.requests) == (False, "throttled", 0)
    assert resumed.complete
    assert fake.log.count() == 2


def test_slow_response_times_out_and_is_retried(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    rig = SyncHarness(engine, fake, redis_prefix, timeout=0.5)
    rig.fill()
    fake.faults.slow(3)
    summary = rig.cycle()
    rig.close()
    assert summary.complete
    assert summary.requests == 2


@pytest.mark.parametrize("incomplete", [False, True])
def test_truncated_json_is_retried(
    harness: SyncHarness, fake: FakeUpstream, incomplete: bool
) -> None:
    harness.fill()
    fake.faults.truncate(incomplete=incomplete)
    summary = harness.cycle()
    assert summary.complete
    assert summary.requests == 2


def test_persistently_truncated_pages_stop_the_fill_and_the_next_cycle_resumes(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    fake.faults.slow(0, times=1)  # the fill's first page answers normally…
    fake.faults.truncate(times=None)  # …and every later one is cut short
    stopped = harness.cycle()
    fake.faults.clear()
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(DockingEvent)).one()

    assert not stopped.complete
    assert stored == 100
    resumed = harness.cycle()
    assert resumed.complete
    assert resumed.created == 550


def test_unknown_extra_field_is_ignored(harness: SyncHarness, fake: FakeUpstream) -> None:
    fake.faults.extra_field("brand_new", {"nested": True}, times=None)
    summary = harness.fill()
    fake.faults.clear()
    assert summary.created == 650
    assert without_event_urls(harness.local_events()) == without_event_urls(
        harness.upstream_events()
    )


def test_missing_optional_field_keeps_the_stored_value(
    harness: SyncHarness, fake: FakeUpstream
) -> None:
    harness.fill()
    before = harness.local_events()
    fake.faults.missing_field("flight_vehicle.mission_end", times=None)
    summary = harness.cycle(Mode.FULL)
    fake.faults.clear()
    assert summary.complete
    assert summary.updated == 0
    assert harness.local_events() == before


def test_dropped_connection_is_retried(harness: SyncHarness, fake: FakeUpstream) -> None:
    harness.fill()
    fake.faults.disconnect(reset=True)
    summary = harness.cycle()
    assert summary.complete
    assert summary.requests == 2


# -------------------------------------------------------------------------- removals


def test_event_gone_from_a_full_sweep_and_404_is_removed(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    closed = next(e["id"] for e in fake.events if e["departure"] is not None)
    fake.delete_event(closed)
    fake.log.clear()

    summary = harness.cycle(Mode.FULL)

    assert summary.removed == 1
    assert closed not in harness.local_events()
    detail_checks = [r.path for r in fake.log.records if r.route == "detail"]
    assert detail_checks == [f"/2.2.0/docking_event/{closed}/"]
    with Session(engine) as session:
        assert session.exec(select(RemovalCandidate)).all() == []


def test_event_that_left_the_poll_window_is_checked_and_kept(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    newest_open = max(open_ids(engine))
    # A librarian corrects the docking time to years earlier: the event leaves the polled window.
    fake.update_event(newest_open, docking="2001-01-01T00:00:00Z")
    fake.log.clear()

    summary = harness.cycle()

    assert summary.removed == 0
    assert [r.path for r in fake.log.records if r.route == "detail"] == [
        f"/2.2.0/docking_event/{newest_open}/"
    ]
    assert harness.local_events()[newest_open]["docking"] == "2001-01-01T00:00:00Z"
    with Session(engine) as session:
        assert session.exec(select(RemovalCandidate)).all() == []


def test_short_page_never_deletes(harness: SyncHarness, fake: FakeUpstream) -> None:
    harness.fill()
    fake.faults.short_page(keep=10, times=None)
    fake.log.clear()
    summary = harness.cycle(Mode.FULL)
    fake.faults.clear()

    assert summary.removed == 0
    assert [r for r in fake.log.records if r.route == "detail"] == []
    assert len(harness.local_events()) == 650


# ---------------------------------------------------------------------------- budget


def test_fill_spreads_over_budget_slots_and_resumes_at_the_checkpoint(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    rig = SyncHarness(engine, fake, redis_prefix, limit_per_hour=3)
    first = rig.cycle()
    fake.log.clear()
    early = rig.cycle()
    rig.advance(HOUR)
    second = rig.cycle()
    offsets = [r.params.get("offset", "0") for r in fake.log.records]
    rig.advance(HOUR)
    third = rig.cycle()
    rig.close()

    assert (first.complete, first.reason, first.requests, first.created) == (
        False,
        "budget",
        3,
        298,  # each page after the first re-reads one row of the page before
    )
    assert (early.requests, early.reason) == (0, "budget")
    assert offsets == ["297", "396", "495"]  # one row of overlap, no page fetched twice
    assert (second.created, third.complete) == (297, True)
    assert len(rig.local_events()) == 650


def test_no_window_of_an_hour_holds_more_than_the_budget(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    rig = SyncHarness(engine, fake, redis_prefix, limit_per_hour=15)
    rig.fill()
    for _ in range(40):
        rig.advance(dt.timedelta(minutes=3))
        rig.cycle(Mode.FULL if _ % 10 == 0 else Mode.POLL)
    rig.close()
    times = sorted(record.at for record in fake.log.records)
    for index, start in enumerate(times):
        within = [t for t in times[index:] if t < start + HOUR]
        assert len(within) <= 15
