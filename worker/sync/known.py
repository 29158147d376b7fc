"""The records a page's transaction just stored, rebuilt from the rows it wrote (no SELECT).

After a page's upserts the sync knows every stored column of the page's events, flights and
spacecraft: a row it wrote holds the stored row merged with the page's values (a new row's
columns the page did not send are NULL), and a row it left alone is the stored one it read.
``record_of`` turns such a row into the record ``models.ll2.graph.load_graphs`` would read back,
so the page's documents are rendered without reading those rows again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from models.ll2.parse import Row

RecordT = TypeVar("RecordT")


def _as_read(value: Any) -> Any:
    # What ``UTCDateTime`` returns on both databases: the same instant in UTC.
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def record_of(record: type[RecordT], row: Row) -> RecordT:
    """``row`` (column -> value as written; a missing column is NULL) as a ``record``."""
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    return record(*(_as_read(row.get(name)) for name in fields))
