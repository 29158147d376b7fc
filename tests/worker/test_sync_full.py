"""``sync --full`` walks the whole upstream list from its start, whatever the sweep's checkpoint.

The beat's paced sweep keeps its own pass (``SweepCheckpoint``): a full walk stopped early leaves
it as it was, and a full walk that reaches the end counts as a finished pass.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session

from fake_upstream import FakeUpstream
from harness.sync_rig import SyncHarness
from models.store.sync_state import SweepCheckpoint, read_record
from worker.sync.summary import Mode

HOUR = dt.timedelta(hours=1)
EDITED_NAME = "Edited upstream after its page was swept"


def closed_on_first_page(fake: FakeUpstream) -> int:
    """A closed event among the first hundred by id (the sweep's page 1; the poll misses it)."""
    return next(e["id"] for e in fake.events[:100] if e["departure"] is not None)


def checkpoint(harness: SyncHarness) -> SweepCheckpoint:
    with Session(harness.engine) as session:
        return read_record(session, SweepCheckpoint)


def sweep_steps(harness: SyncHarness, steps: int) -> None:
    for _ in range(steps):
        harness.advance(dt.timedelta(minutes=10))
        assert harness.cycle(Mode.SWEEP_STEP).complete


def test_full_sync_walks_from_the_start_past_a_half_done_sweep_pass(
    harness: SyncHarness, fake: FakeUpstream
) -> None:
    harness.fill()
    sweep_steps(harness, 3)
    left_at = checkpoint(harness).offset
    edited = closed_on_first_page(fake)
    fake.update_event(edited, {"docking_location.name": EDITED_NAME})
    fake.log.clear()

    summary = harness.cycle(Mode.FULL)

    list_offsets = [r.params.get("offset", "0") for r in fake.log.records if r.route == "list"]
    assert left_at > 100
    assert harness.local_events()[edited]["docking_location"]["name"] == EDITED_NAME
    assert (summary.complete, summary.updated) == (True, 1)
    assert "0" in list_offsets
    # Before, the walk carried on the stored pass: 5 requests (the poll and pages 4 to 7),
    # nothing updated, complete, and the mirror kept the old name.
    assert summary.requests == 1 + 7  # the poll, then every page of 650 events


def test_a_full_walk_that_ends_counts_as_a_finished_pass(
    harness: SyncHarness, fake: FakeUpstream
) -> None:
    harness.fill()
    sweep_steps(harness, 3)
    harness.advance(dt.timedelta(minutes=10))
    assert harness.cycle(Mode.FULL).complete
    finished = checkpoint(harness)
    fake.log.clear()

    sweep_steps(harness, 1)

    assert (finished.offset, finished.last_id, finished.count) == (0, None, 650)
    assert finished.last_complete == harness.now - dt.timedelta(minutes=10)
    # The beat's next step starts a new pass at the list's start.
    assert [r.params.get("offset", "0") for r in fake.log.records] == ["0"]


def test_a_full_walk_stopped_by_the_budget_leaves_the_beat_pass_to_resume(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    # 7 requests fill, 3 sweep steps: 4 left for the full walk (the poll and 3 pages).
    rig = SyncHarness(engine, fake, redis_prefix, limit_per_hour=14)
    try:
        rig.fill()
        sweep_steps(rig, 3)
        before = checkpoint(rig)
        fake.log.clear()
        stopped = rig.cycle(Mode.FULL)
        walked = [r.params.get("offset", "0") for r in fake.log.records if r.route == "list"]
        after = checkpoint(rig)
        rig.advance(HOUR)
        fake.log.clear()
        sweep_steps(rig, 1)
        resumed = [r.params.get("offset", "0") for r in fake.log.records]
    finally:
        rig.close()

    assert (stopped.complete, stopped.reason, stopped.requests) == (False, "budget", 4)
    assert walked[1:] == ["0", "99", "198"]  # after the poll's page, from the list's start
    assert after == before  # the stored pass is where the beat left it
    assert before.offset == 298
    assert resumed == ["297"]
