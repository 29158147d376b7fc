"""``column IN (…ids)``, written as each database answers it best.

SQLite gets ``IN``; PostgreSQL gets ``column = ANY(:ids)``, one array parameter, so the statement's
text does not grow with the ids and the driver parses and prepares it once. ``among`` either
binds the ids at once or leaves a parameter named ``ids`` for a statement built once and executed
with ``{"ids": [...]}`` (or ``.params(ids=[...])``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

IDS = "ids"


def among(
    column: ColumnElement[Any], dialect: str, ids: Iterable[Any] | None = None
) -> ColumnElement[bool]:
    """``column`` among ``ids`` on the database named ``dialect`` (``"postgresql"``,
    ``"sqlite"``); with ``ids`` None, among the values the ``ids`` parameter gets at execution."""
    if dialect == "postgresql":
        if ids is None:
            return column == any_(bindparam(IDS, type_=ARRAY(column.type)))
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    if ids is None:
        return column.in_(bindparam(IDS, expanding=True))
    return column.in_(list(ids))
