"""The records a page's transaction just stored, rebuilt from the rows it wrote (no SELECT).

After a page's upserts the sync knows every stored column of the page's events, flights and
spacecraft: a row it wrote holds the stored row merged with the page's values (a new row's
columns the page did not send are NULL), and a row it left alone is the stored one it read.
``record_of`` turns such a row into the record ``models.ll2.graph.load_graphs`` would read back,
so the page's documents are rendered without reading those rows again.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, TypeVar, get_args, get_type_hints

from models.ll2.parse import Row

RecordT = TypeVar("RecordT")


@lru_cache(maxsize=32)
def _instants(record: type[Any]) -> tuple[int, ...]:
    """The positions of a record's datetime fields."""
    hints = get_type_hints(record)
    fields: tuple[str, ...] = record._fields
    return tuple(
        i
        for i, name in enumerate(fields)
        if hints[name] is dt.datetime or dt.datetime in get_args(hints[name])
    )


def record_of(record: type[RecordT], row: Row) -> RecordT:
    """``row`` (column -> value as written; a missing column is NULL) as a ``record``; each
    instant as ``UTCDateTime`` reads it back on both databases (the same instant, in UTC)."""
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    values = [row.get(name) for name in fields]
    for index in _instants(record):  # type: ignore[arg-type]
        value = values[index]
        if value is not None:
            values[index] = value.astimezone(dt.UTC)
    return record._make(values)  # type: ignore[attr-defined,no-any-return]
