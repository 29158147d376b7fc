"""The composition root builds each process from settings alone: every value it wires comes
from ``Settings`` (no default of its own), and tests build through the same functions."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from harness.redis_keys import TEST_REDIS_URL
from settings import Settings
from worker.bootstrap import (
    ServiceError,
    build_runtime,
    cadence_for,
    delivery_process,
    mirror_config,
    mirror_process,
    relay_process,
)


def settings_for(database_url: str, redis_prefix: str, **values: object) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        key_prefix=redis_prefix,
        stream=f"{redis_prefix}:events",
        **values,
    )


def test_the_mirror_process_takes_every_value_from_settings(
    database_url: str, redis_prefix: str
) -> None:
    settings = settings_for(
        database_url,
        redis_prefix,
        upstream_url="https://reader:hunter2@ll.example.org/2.2.0",
        trust_proxy=True,
        stale_after_seconds=120,
        mirror_check_seconds=2.5,
        mirror_cache_mb=3,
        sse_keepalive_seconds=7,
    )
    with mirror_process(settings) as mirror:
        context = mirror.app.state.mirror
        feed = mirror.app.state.event_feed
        tables = set(inspect(context.engine).get_table_names())

    assert "docking_event" in tables  # the process migrates before it serves
    assert context.trust_proxy is True
    assert context.upstream_base == "https://ll.example.org/2.2.0"  # never the password
    assert context.stale_after_seconds == 120
    assert context.cache.max_bytes == 3 * 1024 * 1024
    assert (feed.keepalive_seconds, feed.fanout.stream) == (7, f"{redis_prefix}:events")
    assert mirror.server.proxy_headers is False
    config = mirror_config(settings)
    assert (config.check_seconds, config.cache_bytes) == (2.5, 3 * 1024 * 1024)


def test_the_relay_and_the_delivery_use_the_configured_stream(
    database_url: str, redis_prefix: str, engine: Engine
) -> None:
    settings = settings_for(database_url, redis_prefix, stream_retention_days=9)
    with relay_process(settings) as relay:
        assert (relay.stream, relay.retention_days) == (settings.stream, 9)
        assert relay.publish_pending() == 0
    with delivery_process(settings) as delivery:
        assert delivery.stream == settings.stream
        stop = threading.Event()
        stop.set()
        delivery.run(stop)  # returns at once when already asked to stop


def test_the_sync_runtime_takes_its_budget_lock_and_clock_from_its_caller(
    database_url: str, redis_prefix: str, engine: Engine
) -> None:
    settings = settings_for(
        database_url, redis_prefix, rate_limit_per_hour=40, sync_lock_ttl_seconds=9
    )
    moment = dt.datetime(2025, 4, 4, 5, 0, tzinfo=dt.UTC)
    runtime = build_runtime(settings, engine=engine, clock=lambda: moment)
    try:
        assert runtime.budget.limit == 40
        assert runtime.options.lock_key == f"{redis_prefix}:sync-lock"
        assert runtime.sync_lock().holder() is None
        assert runtime.clock() == moment
        assert runtime.budget.usage().limit == 40
    finally:
        runtime.close()
    assert cadence_for(settings).poll == pytest.approx(3600 / (40 - 5))


def test_a_bad_database_url_is_a_one_line_service_error(tmp_path: Path, redis_prefix: str) -> None:
    settings = settings_for(f"sqlite:///{tmp_path}/missing/dir/x.db", redis_prefix)
    with pytest.raises(ServiceError, match="DOCKWATCH_DATABASE_URL"), mirror_process(settings):
        pass
