"""The Celery side: the beat schedule's shape, and a real worker + beat running the poll."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from fake_upstream import FakeUpstream
from harness.redis_keys import keys_containing
from models.store.db import make_engine
from models.store.tables import DockingEvent
from tests.cli_helpers import REDIS_URL, cli_env
from worker.schedule import derive_cadence


@pytest.mark.parametrize("limit", [2, 15, 60, 3600])
def test_poll_and_sweep_together_never_plan_more_than_the_budget(limit: int) -> None:
    cadence = derive_cadence(limit, 0.2)
    planned = 3600 / cadence.poll + 3600 / cadence.sweep
    assert planned <= limit + 1e-9


def test_default_cadence_gives_thirteen_polls_and_two_sweep_pages_an_hour() -> None:
    cadence = derive_cadence(15, 0.13)
    assert (cadence.poll, cadence.sweep) == (3600 / 13, 1800.0)
    assert derive_cadence(15, 0.2) == derive_cadence(15, 0.2, 0)
    assert (derive_cadence(15, 0.2).poll, derive_cadence(15, 0.2).sweep) == (300.0, 1200.0)


@pytest.mark.parametrize("limit", [2, 7, 15, 16, 210])
@pytest.mark.parametrize("share", [0.01, 0.13, 0.2, 0.25, 0.5, 0.99])
def test_runs_in_any_sliding_hour_never_exceed_the_budget(limit: int, share: float) -> None:
    cadence = derive_cadence(limit, share)
    # A task every p seconds puts ceil(3600 / p) runs into some half-open hour.
    worst = math.ceil(3600 / cadence.poll - 1e-9) + math.ceil(3600 / cadence.sweep - 1e-9)
    assert worst <= limit


def test_explicit_poll_interval_can_only_slow_the_poll() -> None:
    assert derive_cadence(15, 0.2, poll_interval_override=60).poll == 300.0
    assert derive_cadence(15, 0.2, poll_interval_override=900).poll == 900.0


def test_beat_schedule_names_registered_tasks_and_expires_stale_runs() -> None:
    import celeryconfig
    from worker.app import app

    app.loader.import_default_modules()
    schedule = celeryconfig.beat_schedule
    # The relay is no scheduled task: it runs after each commit and in its own loop.
    assert set(schedule) == {"poll", "sweep"}
    for entry in schedule.values():
        assert entry["task"] in app.tasks
        # A margin below the period: a stale run expires before the next one is queued.
        assert 0 < entry["options"]["expires"] < entry["schedule"]
    assert celeryconfig.task_acks_late is True
    assert celeryconfig.worker_prefetch_multiplier == 1


def stored(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(DockingEvent)).one())
    except Exception:  # noqa: BLE001 - the worker may not have migrated the database yet
        return 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_real_worker_and_beat_run_the_scheduled_poll(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_RATE_LIMIT_PER_HOUR="3600")
    argv = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--beat"]
    argv += ["--concurrency", "1", "--schedule", str(tmp_path / "beat-schedule")]
    argv += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    worker = subprocess.Popen(
        argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 90
        # Two scheduled runs: the first fills the mirror, a later one polls (1 request).
        while not (stored(database_url) == 650 and fake.log.count() >= 8):
            assert worker.poll() is None, worker.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the scheduled poll never ran"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0]
    assert "dockwatch.sync_poll" in output
    polls = [r for r in fake.log.records if "docking__gte" in r.params]
    assert polls, "no incremental poll reached the upstream"
    assert worker.returncode == 0, output[-3000:]
    # Celery's keys (queue, kombu's bindings) live under the prefix like dockwatch's own.
    celery_keys = keys_containing(REDIS_URL, redis_prefix)
    assert f"{redis_prefix}:_kombu.binding.tasks" in celery_keys
    assert all(key.startswith(f"{redis_prefix}:") for key in celery_keys), celery_keys


def test_a_sweep_step_that_finds_the_lock_busy_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from celery.exceptions import Retry

    from worker import tasks

    monkeypatch.setattr(tasks, "_cycle", lambda mode: {"skipped": True})
    with pytest.raises(Retry):
        tasks.sync_sweep.run()
    monkeypatch.setattr(tasks, "_cycle", lambda mode: {"requests": 1})
    assert tasks.sync_sweep.run() == {"requests": 1}


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_a_bad_setting_stops_celery_with_one_line_and_exit_2(
    command: str, redis_prefix: str, tmp_path: Path
) -> None:
    # The compose file's worker and beat services run exactly this command.
    env = cli_env(
        f"sqlite:///{tmp_path / 'celery.db'}",
        redis_prefix,
        "http://127.0.0.1:1/2.2.0",
        DOCKWATCH_RATE_LIMIT_PER_HOUR="abc",
    )
    celery = str(Path(sys.executable).with_name("celery"))
    result = subprocess.run(
        [celery, "-A", "worker.app", command, "--loglevel", "INFO"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines() == [
        "dockwatch: invalid setting DOCKWATCH_RATE_LIMIT_PER_HOUR: Input should be a valid"
        " integer, unable to parse string as an integer"
    ]
