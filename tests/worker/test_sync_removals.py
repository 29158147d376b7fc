"""Removal only after a complete clean sweep and a 404; shifting rows; bad pages; freshness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fake_upstream import FakeUpstream
from harness.sync_rig import UPSTREAM_BASE, SyncHarness, without_event_urls
from models.store.sync_state import LastSuccess, read_record
from models.store.tables import DockingEvent, OutboxEntry, RemovalCandidate
from models.support.stop_reason import StopReason
from worker.notify.outbox import record_changes
from worker.sync.changes import Change
from worker.sync.summary import Mode

HOUR = dt.timedelta(hours=1)


def candidates(engine: Engine) -> dict[int, bool]:
    with Session(engine) as session:
        rows = session.exec(select(RemovalCandidate)).all()
        return {row.event_id: row.eligible for row in rows}


def open_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        query = select(DockingEvent.id).where(DockingEvent.departure == None)  # noqa: E711
        return sorted(session.exec(query).all())


def test_a_poll_alone_never_removes_and_does_not_recheck_every_poll(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    gone = open_ids(engine)[-1]
    fake.delete_event(gone)
    fake.log.clear()

    first = harness.cycle()
    second = harness.cycle()

    assert (first.removed, first.requests) == (0, 2)  # the window, then one detail check
    assert candidates(engine) == {gone: False}
    assert (second.removed, second.requests) == (0, 1)  # a known candidate is not re-asked
    full = harness.cycle(Mode.FULL)
    assert full.removed == 1
    assert gone not in harness.local_events()
    assert candidates(engine) == {}


def test_a_paced_sweep_removes_only_after_its_pass_ends(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    gone = next(e["id"] for e in fake.events if e["departure"] is not None)
    fake.delete_event(gone)

    steps = [harness.cycle(Mode.SWEEP_STEP) for _ in range(7)]  # one page a step

    assert [s.removed for s in steps[:-1]] == [0] * 6
    assert steps[-1].removed == 1
    assert gone not in harness.local_events()


def test_an_empty_answer_removes_nothing(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    everything = fake.events
    fake.replace_events([])  # a broken upstream answering count 0 everywhere
    fake.log.clear()

    summary = harness.cycle(Mode.FULL)
    detail_checks = [r for r in fake.log.records if r.route == "detail"]
    fake.replace_events(everything)

    assert summary.removed == 0
    assert len(detail_checks) <= 3  # only the poll window's capped checks
    assert len(harness.local_events()) == 650
    assert all(not eligible for eligible in candidates(engine).values())


def test_rows_vanishing_mid_fill_do_not_make_the_walk_skip_events(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    rig = SyncHarness(engine, fake, redis_prefix, limit_per_hour=1)
    first = rig.cycle()  # page 1 only: the budget allows one request an hour
    early_ids = fake.ids[:100]
    fake.delete_event(early_ids[10])
    fake.delete_event(early_ids[20])
    while not rig.cycle().complete:
        rig.advance(HOUR)

    local = rig.local_events()
    assert first.created == 100
    assert set(fake.ids) <= set(local)  # nothing upstream was skipped
    assert without_event_urls({i: local[i] for i in fake.ids}) == without_event_urls(
        rig.upstream_events()
    )
    rig.close()


def test_a_throttled_cycle_does_not_count_as_fresh(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    with Session(engine) as session:
        filled_at = read_record(session, LastSuccess).at
    harness.advance(3 * HOUR)
    fake.faults.throttle(7200, times=None)

    throttled = harness.cycle()
    fake.faults.clear()
    with Session(engine) as session:
        after = read_record(session, LastSuccess).at

    assert (throttled.complete, throttled.reason) == (False, "throttled")
    assert after == filled_at


def test_a_cycle_that_lost_its_lock_commits_nothing_more(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.sync.uow.still_locked = lambda: False
    summary = harness.cycle()
    assert (summary.complete, summary.reason) == (False, StopReason.LOCK_LOST)
    assert harness.local_events() == {}


def test_a_removal_check_that_lost_its_lock_deletes_nothing_and_notifies_nothing(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    def record(session: Session, changes: Sequence[Change], now: dt.datetime) -> int:
        return record_changes(session, changes, upstream_base=UPSTREAM_BASE, now=now)

    rig = SyncHarness(engine, fake, redis_prefix, record=record)
    rig.fill()
    gone = next(e["id"] for e in fake.events if e["departure"] is not None)
    fake.delete_event(gone)
    # A whole paced pass with the detail checks held back: the candidate ends eligible.
    checks = rig.sync.removals.run
    rig.sync.removals.run = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
    for _ in range(7):
        rig.cycle(Mode.SWEEP_STEP)
    rig.sync.removals.run = checks  # type: ignore[method-assign]
    assert candidates(engine) == {gone: True}  # eligible, only its detail check is left
    rig.advance(HOUR)

    # The lock expires while the (slow) detail request is in flight.
    lost = False
    detail = rig.client.get_event

    def slow_detail(event_id: int) -> dict[str, Any] | None:
        nonlocal lost
        answer = detail(event_id)
        lost = True
        return answer

    rig.client.get_event = slow_detail  # type: ignore[method-assign]
    rig.sync.uow.still_locked = lambda: not lost
    summary = rig.cycle(Mode.SWEEP_STEP)  # a sweep page, then the detail check
    rig.close()

    assert (summary.complete, summary.reason, summary.removed) == (False, StopReason.LOCK_LOST, 0)
    assert gone in rig.local_events()  # not deleted
    with Session(engine) as session:
        removed_rows = session.exec(
            select(OutboxEntry).where(OutboxEntry.type == "docking_event.removed")
        ).all()
    assert removed_rows == []  # no notification either
    assert candidates(engine) == {gone: True}  # still eligible: the next cycle checks again
