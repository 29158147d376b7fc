"""How a mirror learns of a commit without a query per request: at once from the writer's hint
(the sync announces every commit), within its check interval without Redis or while Redis is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.read.watcher import Hints
from fake_upstream import FakeUpstream
from harness.mirror_app import mirror_app
from models.store.data_version import announce_data_version, data_version_channel
from models.store.db import make_engine, upgrade
from tests.api_mirror.dataset import make_events, sample_615, store, strip_format
from tests.cli_helpers import REDIS_URL, cli_env, run_cli
from tests.run_helpers import wait_until

DETAIL = "/2.2.0/docking_event/615/"
RENAMED = "Tianhe aft (renamed)"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, [*make_events(10), strip_format(sample_615())])
    return engine


def _rename(engine: Engine) -> None:
    edited = strip_format(sample_615())
    edited["docking_location"]["name"] = RENAMED
    with Session(engine) as session:
        store(session, [edited])


def _location(client: TestClient) -> Any:
    return client.get(DETAIL).json()["docking_location"]["name"]


def _subscribed(client: redis.Redis, channel: str) -> bool:
    return bool(dict(client.pubsub_numsub(channel)).get(channel.encode()))


def _hinted(engine: Engine, redis_prefix: str) -> FastAPI:
    """A mirror with no check of its own: only the writers' hints move it."""
    hints = Hints(REDIS_URL, data_version_channel(redis_prefix))
    return mirror_app(engine, check_seconds=None, hints=hints)


def _listening(redis_client: redis.Redis, redis_prefix: str) -> None:
    channel = data_version_channel(redis_prefix)
    wait_until(lambda: _subscribed(redis_client, channel), "the watcher to subscribe", 10)


def test_the_periodic_check_serves_a_commit_within_its_interval(stored: Engine) -> None:
    with TestClient(mirror_app(stored, check_seconds=0.05)) as client:
        assert _location(client) != RENAMED
        _rename(stored)
        wait_until(lambda: _location(client) == RENAMED, "the check to see the commit", 10)


def test_a_hint_serves_a_commit_without_waiting_for_a_check(
    stored: Engine, redis_prefix: str, redis_client: redis.Redis
) -> None:
    with TestClient(_hinted(stored, redis_prefix)) as client:
        _listening(redis_client, redis_prefix)
        assert _location(client) != RENAMED
        _rename(stored)
        assert _location(client) != RENAMED  # no check of its own: only the hint moves it
        announce_data_version(redis_client, redis_prefix)
        wait_until(lambda: _location(client) == RENAMED, "the hint to be heard", 10)


def test_every_mirror_process_learns_of_a_commit_on_its_own(
    stored: Engine, redis_prefix: str, redis_client: redis.Redis
) -> None:
    checking = mirror_app(stored, check_seconds=0.05)  # a mirror whose Redis is elsewhere
    with TestClient(_hinted(stored, redis_prefix)) as first, TestClient(checking) as second:
        _listening(redis_client, redis_prefix)
        assert _location(first) != RENAMED
        assert _location(second) != RENAMED
        _rename(stored)
        announce_data_version(redis_client, redis_prefix)
        for client in (first, second):
            wait_until(lambda c=client: _location(c) == RENAMED, "each mirror to see it", 10)


def test_without_redis_the_check_alone_keeps_the_mirror_correct(stored: Engine) -> None:
    app = mirror_app(stored, check_seconds=0.05, hints=Hints(NOWHERE, "dockwatch:data-version"))
    with TestClient(app) as client:
        _rename(stored)
        wait_until(lambda: _location(client) == RENAMED, "the check to see the commit", 10)


def test_a_mirror_listening_only_for_hints_serves_what_dockwatch_sync_commits(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path,
    redis_client: redis.Redis,
) -> None:  # fmt: skip
    engine = make_engine(database_url)
    upgrade(engine)
    with TestClient(_hinted(engine, redis_prefix)) as client:
        _listening(redis_client, redis_prefix)
        assert client.get("/2.2.0/docking_event/").json()["count"] == 0
        result = run_cli(cli_env(database_url, redis_prefix, fake.base_url), "sync", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        wait_until(
            lambda: client.get("/2.2.0/docking_event/").json()["count"] == 650,
            "the sync's hints to bring every page",
            10,
        )
    engine.dispose()
