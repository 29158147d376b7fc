"""Scratch databases for benchmarks: a temporary SQLite file or a throwaway PostgreSQL schema.

PostgreSQL comes from ``DOCKWATCH_BENCH_POSTGRES_URL`` (else the test suite's
``DOCKWATCH_TEST_POSTGRES_URL``, else the local ``test`` database); the schema is created before
and dropped after, through ``benchmarks.notify_latency.scratch_database``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from benchmarks.notify_latency import scratch_database
from harness.redis_keys import TEST_REDIS_URL, drop_keys
from models.store import tables  # noqa: F401 - registers the tables
from models.store.db import make_engine

KINDS = ("sqlite", "postgresql")
POSTGRES_URL = os.environ.get(
    "DOCKWATCH_BENCH_POSTGRES_URL",
    os.environ.get(
        "DOCKWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)
REDIS_URL = os.environ.get(
    "DOCKWATCH_BENCH_REDIS_URL",
    TEST_REDIS_URL,
)


def parse_kinds(text: str) -> list[str]:
    """``"sqlite,postgresql"`` → the kinds, checked."""
    kinds = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise SystemExit(f"unknown database kind(s): {', '.join(unknown)} (use {KINDS})")
    return kinds


@contextmanager
def scratch_url(kind: str) -> Iterator[str]:
    """An empty database of ``kind`` as a URL, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dwbench-") as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    with scratch_database(POSTGRES_URL) as url:
        yield url


@contextmanager
def scratch_engine(kind: str) -> Iterator[Engine]:
    """An engine on an empty database of ``kind`` with every table created."""
    with scratch_url(kind) as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def drop_redis_keys(prefix: str) -> None:
    """Delete every Redis key under ``prefix`` (a benchmark's budget, locks…)."""
    drop_keys(REDIS_URL, prefix)
