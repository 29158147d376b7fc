"""Validators for conditional requests: a weak ETag over the stored data, and Last-Modified.

The durations in a body grow every second, so hashing the bytes would never repeat. The ETag
hashes what the body is built from instead: every stored column of every row in the served
graphs, the count and the request's shape (base, parameters). A sync that changes any of it,
nested rows included, changes the ETag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any

from sqlmodel import SQLModel

from api_mirror.graph import EventGraph


@cache
def _columns(model: type[SQLModel]) -> tuple[str, ...]:
    return tuple(column.key for column in model.__table__.columns)  # type: ignore[attr-defined]


def _row_values(row: SQLModel | None) -> tuple[Any, ...] | None:
    if row is None:
        return None
    # Loaded column values live in the instance __dict__; reading it skips the ORM descriptors,
    # which would cost as much as serializing the page.
    loaded = row.__dict__
    return tuple(loaded.get(name) for name in _columns(type(row)))


def graph_fingerprint(graph: EventGraph) -> tuple[Any, ...]:
    """Everything stored that a graph's JSON is built from."""
    rows = (
        graph.event,
        graph.flight,
        graph.spacecraft,
        graph.status,
        graph.config,
        graph.config_type,
        graph.agency,
        graph.location,
        graph.location_station,
        graph.space_station,
    )
    return (*(_row_values(row) for row in rows), graph.spacecraft_has_open_docking)


def weak_etag(shape: Iterable[Any], graphs: Iterable[EventGraph]) -> str:
    """``W/"…"`` over the request's shape and the graphs' stored data."""
    digest = hashlib.sha256(repr((tuple(shape), [graph_fingerprint(g) for g in graphs])).encode())
    return f'W/"{digest.hexdigest()[:40]}"'


def http_date(moment: dt.datetime) -> str:
    """An RFC 9110 date (``Tue, 15 Nov 1994 08:12:31 GMT``)."""
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 §13.1.2): the W/ prefix does not count.
    wanted = etag.removeprefix("W/")
    tags = [tag.strip() for tag in header.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in tags)


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    *,
    etag: str,
    last_modified: dt.datetime | None,
) -> bool:
    """Whether a GET with these conditional headers should answer 304."""
    if if_none_match is not None:
        # When both are sent, If-None-Match alone decides (RFC 9110 §13.2.2).
        return _etag_matches(if_none_match, etag)
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return last_modified.replace(microsecond=0) <= since
