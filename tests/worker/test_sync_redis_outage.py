"""Redis dropped in the middle of a fill: the cycle stops, keeps its pages and resumes later."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from fake_upstream import FakeUpstream
from harness.sync_rig import SyncHarness, without_event_urls
from models.store.sync_state import SweepCheckpoint, read_record
from models.store.tables import DockingEvent
from tests.worker.notifications import free_port, own_redis
from worker.sync.summary import CycleSummary


def stored_events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(DockingEvent)).one())


def test_redis_dropped_mid_fill_stops_the_cycle_and_the_next_one_resumes(
    engine: Engine, fake: FakeUpstream
) -> None:
    port = free_port()
    harness = SyncHarness(engine, fake, "outage", redis_url=f"redis://127.0.0.1:{port}/0")
    results: list[CycleSummary] = []
    with own_redis(port) as server:
        # Pages 1-2 answer at once; page 3 is held until Redis is gone, then answers.
        fake.faults.slow(0, times=2, route="list")
        fake.faults.slow(3, route="list")
        cycle = threading.Thread(target=lambda: results.append(harness.cycle()))
        cycle.start()
        while fake.faults.pending:  # the fake has taken the third request
            threading.Event().wait(0.01)
        server.terminate()
        server.wait(timeout=10)
        cycle.join(timeout=60)
    [stopped] = results
    assert (stopped.complete, stopped.reason) == (False, "redis")
    assert stopped.error is not None
    assert "Redis unavailable" in stopped.error
    kept = stored_events(engine)
    assert kept == 298  # the three pages fetched before the outage stay
    with Session(engine) as session:
        checkpoint = read_record(session, SweepCheckpoint)
    assert checkpoint.offset == kept

    with own_redis(port):
        resumed = harness.cycle()
    harness.close()
    assert resumed.complete
    assert stored_events(engine) == 650
    assert without_event_urls(harness.local_events()) == without_event_urls(
        harness.upstream_events()
    )
