"""Upstream values that break the 2.2.0 schema: skipped with a warning, never a crash or a row."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from fake_upstream import DEFAULT_NOW, FakeUpstream, generate_history
from harness.sync_rig import SyncHarness
from models.store.db import make_engine
from models.store.tables import DockingEvent, OutboxEntry, RemovalCandidate
from tests.cli_helpers import cli_env, run_cli
from worker.sync.summary import Mode

FIRST_SWEEP_PAGE = "limit=100&mode=detailed&ordering=id"
BAD_VALUES = [
    ("id", "abc"),
    ("id", 10**30),
    ("id", -5),
    ("flight_vehicle", None),
    ("flight_vehicle.spacecraft.name", 42),
]


def stored_row(engine: Engine, event_id: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        row = session.get(DockingEvent, event_id)
        return None if row is None else row.model_dump()


def skip_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "skipping docking event" in record.getMessage()
    ]


@pytest.mark.parametrize(("path", "value"), BAD_VALUES)
def test_a_bad_event_on_a_sweep_page_is_skipped_and_the_rest_applied(
    harness: SyncHarness,
    fake: FakeUpstream,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    path: str,
    value: Any,
) -> None:
    harness.fill()
    victim, edited = fake.ids[3], fake.ids[10]
    before = stored_row(engine, victim)
    fake.update_event(edited, {"docking_location.name": "Renamed port"})
    fake.faults.edit_event(victim, path, value, route="list", query=FIRST_SWEEP_PAGE)
    caplog.set_level(logging.WARNING)

    summary = harness.cycle(Mode.FULL)

    assert summary.complete, summary
    assert fake.faults.pending == []  # the bad page was served
    assert stored_row(engine, victim) == before
    assert harness.local_events()[edited]["docking_location"]["name"] == "Renamed port"
    assert len(harness.local_events()) == 650
    [warning] = skip_warnings(caplog)
    shown = repr(value) if path == "id" else str(victim)
    assert f"skipping docking event {shown}" in warning
    with Session(engine) as session:
        assert session.exec(select(DockingEvent).where(DockingEvent.id <= 0)).all() == []


def test_a_sweep_page_with_a_bad_event_proves_no_absence(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine
) -> None:
    harness.fill()
    gone = next(e["id"] for e in fake.events[:50] if e["departure"] is not None)
    fake.delete_event(gone)
    fake.faults.edit_event(fake.ids[3], "id", -5, route="list", query=FIRST_SWEEP_PAGE)

    tainted = harness.cycle(Mode.FULL)
    clean = harness.cycle(Mode.FULL)

    # The pass with the bad page removes nothing; the next, clean one removes the event.
    assert (tainted.complete, tainted.removed) == (True, 0)
    assert (clean.complete, clean.removed) == (True, 1)
    assert stored_row(engine, gone) is None
    with Session(engine) as session:
        assert session.exec(select(RemovalCandidate)).all() == []


def test_a_bad_event_in_the_poll_window_is_skipped_and_the_window_not_checked(
    harness: SyncHarness, fake: FakeUpstream, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fill()
    with Session(engine) as session:
        open_ids = session.exec(
            select(DockingEvent.id).where(DockingEvent.departure == None)  # noqa: E711
        ).all()
    bad, moved = sorted(open_ids)[:2]
    before = stored_row(engine, bad)
    # One open event leaves the window: the poll would ask for it only after a whole window.
    fake.update_event(moved, docking="2001-01-01T00:00:00Z")
    fake.faults.edit_event(bad, "flight_vehicle.spacecraft", None, route="list")
    caplog.set_level(logging.WARNING)
    fake.log.clear()

    summary = harness.cycle()

    assert summary.complete
    assert stored_row(engine, bad) == before
    assert [r for r in fake.log.records if r.route == "detail"] == []
    assert len(skip_warnings(caplog)) == 1


# ------------------------------------------------------------------ dockwatch sync, for real


@pytest.fixture
def small() -> Iterator[FakeUpstream]:
    """A fake upstream of two pages: 150 events, 5 still docked."""
    with FakeUpstream(generate_history(150, 5, seed=11), now=DEFAULT_NOW) as upstream:
        yield upstream


def outbox_rows(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(OutboxEntry)).one()
    engine.dispose()
    return int(count)


def stored_by_url(database_url: str, event_id: int) -> dict[str, Any] | None:
    engine = make_engine(database_url)
    try:
        return stored_row(engine, event_id)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("path", "value"), BAD_VALUES)
def test_sync_full_on_a_filled_mirror_skips_the_bad_event_with_one_warning(
    small: FakeUpstream,
    database_url: str,
    redis_prefix: str,
    tmp_path: Path,
    path: str,
    value: Any,
) -> None:
    env = cli_env(database_url, redis_prefix, small.base_url)
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0
    victim = small.ids[3]
    before = stored_by_url(database_url, victim)
    small.faults.edit_event(victim, path, value, route="list", query=FIRST_SWEEP_PAGE)

    result = run_cli(env, "sync", "--full", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert "skipping docking event" in warning
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["complete"], summary["notifications"]) == (True, 0)
    assert small.faults.pending == []
    assert stored_by_url(database_url, victim) == before
    assert stored_by_url(database_url, -5) is None
    assert outbox_rows(database_url) == 0


def test_a_poll_page_that_keeps_serving_a_huge_id_never_crashes_a_cycle(
    small: FakeUpstream, database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, small.base_url)
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0
    newest = max(small.ids, key=lambda ident: small.event(ident)["docking"])
    small.faults.edit_event(newest, "id", 10**30, route="list", times=None)

    runs = [run_cli(env, "sync", cwd=tmp_path) for _ in range(2)]

    for result in runs:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1])["complete"] is True
    # The skipped event is logged by each cycle that meets it, once.
    assert [run.stderr.count("skipping docking event 1000000000") for run in runs] == [1, 1]
