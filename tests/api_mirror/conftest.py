"""Fixtures for the mirror's tests: SQL statement counting, a settable clock, TestClient."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Starlette warns at import time when it finds httpx instead of httpx2; the suite turns warnings
# into errors, so import the test client once here with that one warning silenced.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import starlette.testclient  # noqa: F401


class Clock:
    """A clock the test sets (``now``), for the app and the writer alike."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class StatementCounter:
    """Counts the SQL statements an engine sends (the sync's pragmas on connect excluded)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def statements(engine: Engine) -> Iterator[StatementCounter]:
    """A counter of the statements sent through ``engine`` from now on."""
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)
