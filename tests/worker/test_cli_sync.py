"""``dockwatch sync``, ``status`` and ``db upgrade`` as real processes, crashes included."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from sqlmodel import Session, func, select

from fake_upstream import FakeUpstream
from harness.sync_rig import SyncHarness
from models.store.db import make_engine
from models.store.tables import DockingEvent
from tests.cli_helpers import cli_env, run_cli, start_cli
from worker.sync.summary import Mode

SUMMARY_KEYS = {"requests", "created", "updated", "unchanged", "removed", "notifications"}


@pytest.fixture
def env(database_url: str, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    return cli_env(database_url, redis_prefix, fake.base_url)


def stored_events(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(DockingEvent)).one()
    engine.dispose()
    return int(count)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (bounded) while a subprocess gets going."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_sync_prints_the_summary_line_and_fills_the_mirror(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary.keys() >= SUMMARY_KEYS
    assert (summary["requests"], summary["created"], summary["complete"]) == (7, 650, True)
    assert stored_events(database_url) == 650


def test_status_is_non_zero_until_a_sync_succeeded(env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(env, "db", "upgrade", cwd=tmp_path).returncode == 0
    stale = run_cli(env, "status", cwd=tmp_path)
    run_cli(env, "sync", cwd=tmp_path)
    fresh = run_cli(env, "status", "--json", cwd=tmp_path)

    assert stale.returncode == 3
    assert "never" in stale.stdout
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    report = json.loads(fresh.stdout)
    assert (report["events"], report["outbox_backlog"], report["stale"]) == (650, 0, False)
    assert report["budget"]["used"] == 7


def test_two_syncs_at_once_one_works_the_other_exits_zero(
    env: dict[str, str],
    tmp_path: Path,
    fake: FakeUpstream,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    fake.faults.slow(8.0)  # hold the first cycle inside its first request
    first = start_cli(env, "sync", cwd=tmp_path)
    wait_until(lambda: redis_client.exists(f"{redis_prefix}:sync-lock") == 1, "the lock")
    second = run_cli(env, "sync", cwd=tmp_path)
    out, err = first.communicate(timeout=120)

    assert second.returncode == 0
    assert "already running" in second.stderr
    assert second.stdout == ""
    assert first.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["created"] == 650


def test_fill_killed_mid_walk_resumes_at_its_checkpoint(
    env: dict[str, str],
    tmp_path: Path,
    fake: FakeUpstream,
    database_url: str,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    # Pages 1-3 answer at once; page 4 hangs, and the process is SIGKILLed while it waits.
    fake.faults.slow(0, times=3, route="list")
    fake.faults.slow(30, route="list")
    env["DOCKWATCH_SYNC_LOCK_TTL_SECONDS"] = "2"
    # The first fill keeps its place (``sync --full`` would walk from the start instead).
    walker = start_cli(env, "sync", cwd=tmp_path)
    wait_until(lambda: fake.faults.pending == [], "the fourth page request")
    walker.send_signal(signal.SIGKILL)
    walker.wait(timeout=30)
    fake.faults.clear()
    # The dead cycle's lock expires within its TTL (no heartbeat keeps it alive any more).
    wait_until(lambda: redis_client.exists(f"{redis_prefix}:sync-lock") == 0, "the lock to expire")
    # The fake logs a request once answered: the hung fourth one (offset 297) is not here.
    committed_pages = [r.params.get("offset", "0") for r in fake.log.records]
    fake.log.clear()

    resumed = run_cli(env, "sync", cwd=tmp_path)

    assert walker.returncode == -signal.SIGKILL
    assert committed_pages == ["0", "99", "198"]
    assert resumed.returncode == 0, resumed.stderr
    offsets = [r.params.get("offset", "0") for r in fake.log.records if r.fault is None]
    # The walk restarts with the page that was in flight at the kill, and no earlier one.
    assert offsets[:2] == ["297", "396"]
    assert set(offsets) & set(committed_pages) == set()
    assert stored_events(database_url) == 650


def test_bad_setting_is_one_line_naming_it(env: dict[str, str], tmp_path: Path) -> None:
    env["DOCKWATCH_RATE_LIMIT_PER_HOUR"] = "lots"
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "DOCKWATCH_RATE_LIMIT_PER_HOUR" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_redis_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    env["DOCKWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Redis" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "sqlite:////nonexistent/dir/x.db",
        "mysql://x",
    ],
)
def test_unusable_database_is_one_line(env: dict[str, str], tmp_path: Path, url: str) -> None:
    env["DOCKWATCH_DATABASE_URL"] = url
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode in (1, 2)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "DOCKWATCH_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("token", ["ab cd", "abc\x01def", "t\u00f6ken"])
def test_an_unusable_api_token_is_one_line_that_does_not_echo_it(
    env: dict[str, str], tmp_path: Path, token: str
) -> None:
    env["DOCKWATCH_API_TOKEN"] = token
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "invalid setting DOCKWATCH_API_TOKEN" in result.stderr
    assert token not in result.stderr
    assert "Traceback" not in result.stderr


def test_status_on_an_unmigrated_database_is_one_line_naming_db_upgrade(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(env, "status", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "dockwatch db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_sync_full_walks_from_the_start_past_the_beats_half_done_pass(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream, database_url: str, redis_prefix: str
) -> None:
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0  # the first fill
    engine = make_engine(database_url)
    rig = SyncHarness(engine, fake, redis_prefix)
    try:
        for _ in range(3):  # the beat's paced sweep steps leave its pass at offset 298
            assert rig.cycle(Mode.SWEEP_STEP).complete
        edited = next(e["id"] for e in fake.events[:100] if e["departure"] is not None)
        fake.update_event(edited, {"docking_location.name": "Edited on page 1"})
        fake.log.clear()

        result = run_cli(env, "sync", "--full", cwd=tmp_path)

        stored = rig.local_events()[edited]
    finally:
        rig.close()
        engine.dispose()
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    # Before: 5 requests (the poll, then pages 4 to 7 of the beat's pass), 0 updated, complete.
    assert (summary["requests"], summary["updated"], summary["complete"]) == (8, 1, True)
    offsets = [r.params.get("offset", "0") for r in fake.log.records if r.route == "list"]
    assert offsets[1:] == ["0", "99", "198", "297", "396", "495", "594"]
    assert stored["docking_location"]["name"] == "Edited on page 1"
