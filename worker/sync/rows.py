"""Rows in and out of one table: load by id, compare, and a dialect-aware upsert.

Helpers never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, select
from sqlmodel import Session, SQLModel

from models.store.membership import IDS, among
from models.store.tables import table_of
from worker.sync.upsert import execute_upsert, upsert_plan

Row = dict[str, Any]


def merge_by_id(rows: Iterable[Row]) -> dict[int, Row]:
    merged: dict[int, Row] = {}
    for row in rows:
        merged.setdefault(row["id"], {}).update(row)
    return merged


@lru_cache(maxsize=64)
def _select_by_ids(table: Table, dialect: str) -> Select[Any]:
    """``SELECT * FROM table WHERE id`` among the ``ids`` parameter (built once)."""
    return select(table).where(among(table.c.id, dialect))


def load_rows(session: Session, model: type[SQLModel], ids: Sequence[int]) -> dict[int, Row]:
    table = table_of(model)
    if not ids:
        return {}
    connection = session.connection()
    query = _select_by_ids(table, connection.dialect.name)
    result = connection.execute(query, {IDS: list(ids)})
    return {row["id"]: dict(row) for row in result.mappings()}


def upsert_rows(session: Session, model: type[SQLModel], rows: list[Row]) -> int:
    """Insert or update ``rows`` (grouped by column set) with ON CONFLICT DO UPDATE; returns
    how many rows were given. Ids must be distinct (``merge_by_id`` makes them so).

    Updates carry the whole stored row merged with the new values, because the database checks
    NOT NULL on the INSERT half before it notices the conflict. One statement per column set
    (``worker.sync.upsert``).
    """
    if not rows:
        return 0
    table = table_of(model)
    connection = session.connection()
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in groups.items():
        execute_upsert(connection, upsert_plan(table, connection.dialect, columns), group)
    return len(rows)


def differences(stored: Row, incoming: Row, ignore: frozenset[str]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (stored.get(name), value)
        for name, value in incoming.items()
        if name not in ignore and stored.get(name) != value
    }
