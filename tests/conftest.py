"""Shared fixtures: a database per test (SQLite and PostgreSQL), Redis keys per test.

Every test that takes ``engine`` (or ``database_url``/``session``) runs once on SQLite and once
on PostgreSQL; ``DOCKWATCH_TEST_DBS=sqlite`` (or ``postgresql``) restricts the run to one.
PostgreSQL tests get a fresh schema in the ``test`` database; Redis tests get a unique key
prefix (and stream name) whose keys are deleted afterwards. Every prefix of one run starts with
the run's own marker, and the run fails when any key holding that marker is left in Redis at
its end (other runs on the same Redis have markers of their own, so they never interfere).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from fake_upstream import DEFAULT_NOW, FakeUpstream, generate_history
from harness.redis_keys import TEST_REDIS_URL, drop_keys, keys_containing
from harness.sync_rig import SyncHarness
from models.store import tables  # noqa: F401 - registers the tables
from models.store.db import make_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "DOCKWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = TEST_REDIS_URL
# Starts every Redis key prefix this test run hands out.
RUN_MARKER = f"dwtest:{uuid.uuid4().hex[:6]}-"
DATA_DIR = Path(__file__).resolve().parent / "data"


def _selected_databases() -> list[str]:
    wanted = os.environ.get("DOCKWATCH_TEST_DBS", "sqlite,postgresql")
    return [name.strip() for name in wanted.split(",") if name.strip()]


def postgres_schema_url(schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema`` as their search path."""
    return f"{POSTGRES_ADMIN_URL}?options={quote('-csearch_path=' + schema)}"


@pytest.fixture(params=_selected_databases())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the parametrised kind, as a URL (usable by subprocesses too)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dockwatch-test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with every table created."""
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh database; the test decides when to commit."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def no_redis_keys_left_behind() -> Iterator[None]:
    """Fail the run when a key of one of its prefixes outlived the test that made it."""
    yield
    left = keys_containing(REDIS_URL, RUN_MARKER)
    assert not left, f"the tests left {len(left)} keys in {REDIS_URL}: {left[:10]}"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique Redis key prefix; every key under it is deleted after the test."""
    prefix = f"{RUN_MARKER}{uuid.uuid4().hex[:8]}"
    yield prefix
    drop_keys(REDIS_URL, prefix)


@pytest.fixture
def redis_client(redis_prefix: str) -> Iterator[redis.Redis]:
    """A client on the test Redis (keys must start with ``redis_prefix``)."""
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    """A fake LL2 upstream on 127.0.0.1: 650 events, 12 still docked, a fixed clock."""
    with FakeUpstream(generate_history(650, 12, seed=7), now=DEFAULT_NOW) as upstream:
        yield upstream


@pytest.fixture
def harness(engine: Engine, fake: FakeUpstream, redis_prefix: str) -> Iterator[SyncHarness]:
    """A sync engine on ``fake`` with a generous budget and a clock moved by the test."""
    rig = SyncHarness(engine, fake, redis_prefix)
    yield rig
    rig.close()
