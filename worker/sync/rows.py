"""Rows in and out of one table: load by id, compare, and a dialect-aware upsert.

Helpers never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from models.store.tables import table_of

Row = dict[str, Any]


def merge_by_id(rows: Iterable[Row]) -> dict[int, Row]:
    merged: dict[int, Row] = {}
    for row in rows:
        merged.setdefault(row["id"], {}).update(row)
    return merged


def load_rows(session: Session, model: type[SQLModel], ids: Sequence[int]) -> dict[int, Row]:
    table = table_of(model)
    if not ids:
        return {}
    result = session.connection().execute(select(table).where(table.c.id.in_(ids)))
    return {row["id"]: dict(row) for row in result.mappings()}


def upsert_rows(session: Session, model: type[SQLModel], rows: list[Row]) -> int:
    """Insert or update ``rows`` (grouped by column set) with ON CONFLICT DO UPDATE.

    Updates carry the whole stored row merged with the new values, because the database checks
    NOT NULL on the INSERT half before it notices the conflict.
    """
    if not rows:
        return 0
    table = table_of(model)
    connection = session.connection()
    dialect = connection.dialect.name
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in groups.items():
        connection.execute(_upsert_statement(table, dialect, columns), group)
    return len(rows)


@lru_cache(maxsize=512)
def _upsert_statement(table: Table, dialect: str, columns: tuple[str, ...]) -> Insert:
    """The ON CONFLICT upsert of ``columns`` (built once per table, dialect and column set)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in columns if name != "id"}
    if updates:
        return statement.on_conflict_do_update(index_elements=["id"], set_=updates)
    return statement.on_conflict_do_nothing(index_elements=["id"])


def differences(stored: Row, incoming: Row, ignore: frozenset[str]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (stored.get(name), value)
        for name, value in incoming.items()
        if name not in ignore and stored.get(name) != value
    }
