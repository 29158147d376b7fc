"""The ``INSERT … ON CONFLICT (id) DO UPDATE`` the sync writes rows with, as one statement per
table and column set, sent without SQLAlchemy's per-execution compilation.

SQLAlchemy never caches a compiled dialect upsert (``sqlite.insert``/``postgresql.insert`` are
not cacheable), so every page paid a compilation per table written. Here the SQL text is built
once per (table, dialect, column set) and sent as the driver's own statement, each value passed
through its column type's bind processor exactly as SQLAlchemy's own INSERT would send it:

- SQLite: ``INSERT … VALUES (?, …) ON CONFLICT …`` run with ``executemany`` (pysqlite's C loop);
- PostgreSQL: ``INSERT … SELECT * FROM unnest(%s::TYPE[], …) ON CONFLICT …``: one array per
  column, so a page's rows are one statement and one round trip whatever their number, and the
  text never changes (psycopg prepares it once per connection).

The rows of one call must have distinct ids (PostgreSQL refuses to update a row twice in one
statement) and exactly ``columns`` as keys. Raises whatever the driver raises (as
``sqlalchemy.exc.DBAPIError``); a naive datetime raises ``ValueError`` (``UTCDateTime``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Float, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None
# PostgreSQL sends at most this many rows per statement (arrays of a few MB at most).
PG_ROWS_PER_STATEMENT = 5_000


@dataclass(frozen=True, slots=True)
class UpsertPlan:
    """The SQL text of one upsert and how each column's values are prepared for the driver."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Processor, ...]
    arrays: bool  # one array per column (PostgreSQL) instead of one tuple per row


def _float(value: Any) -> Any:
    # psycopg refuses an array mixing int and float; PostgreSQL stores both as the same double.
    return None if value is None else float(value)


@lru_cache(maxsize=512)
def upsert_plan(table: Table, dialect: Dialect, columns: tuple[str, ...]) -> UpsertPlan:
    """The plan for upserting rows with keys ``columns`` into ``table`` (built once)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in columns if n != "id")
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    target = dialect.identifier_preparer.format_table(table)
    processors: list[Processor] = []
    for name in columns:
        kind = table.c[name].type
        processors.append(kind.dialect_impl(dialect).bind_processor(dialect))
    if dialect.name == "postgresql":
        casts = []
        for index, name in enumerate(columns):
            kind = table.c[name].type
            casts.append(f"%b::{kind.compile(dialect=dialect)}[]")
            if isinstance(kind, Float) and processors[index] is None:
                processors[index] = _float
        source = f"SELECT * FROM unnest({', '.join(casts)})"
        arrays = True
    else:
        source = f"VALUES ({', '.join('?' for _ in columns)})"
        arrays = False
    sql = f"INSERT INTO {target} ({names}) {source} ON CONFLICT (id) {conflict}"
    return UpsertPlan(sql, columns, tuple(processors), arrays)


def _values(plan: UpsertPlan, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Each column's values, in the rows' order, through its bind processor."""
    result = []
    for name, process in zip(plan.columns, plan.processors, strict=True):
        values = [row[name] for row in rows]
        result.append(values if process is None else [process(value) for value in values])
    return result


def execute_upsert(
    connection: Connection, plan: UpsertPlan, rows: Sequence[dict[str, Any]]
) -> None:
    """Upsert ``rows`` (each with exactly ``plan.columns``) in the connection's transaction."""
    if not rows:
        return
    if plan.arrays:
        for start in range(0, len(rows), PG_ROWS_PER_STATEMENT):
            chunk = rows[start : start + PG_ROWS_PER_STATEMENT]
            connection.exec_driver_sql(plan.sql, tuple(_values(plan, chunk)))
        return
    connection.exec_driver_sql(plan.sql, list(zip(*_values(plan, rows), strict=True)))
