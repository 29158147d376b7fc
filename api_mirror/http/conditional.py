"""Validators for conditional requests: a weak ETag over the stored data, and Last-Modified.

The durations in a body grow every second, so hashing the bytes would never repeat. The ETag
covers what the body is built from instead: the data version (bumped by every sync write,
nested rows and deletions included) and the request's shape (base, path, parameters). The tag
starts with the data version it was answered from (``W/"812-…"``), so a client walking pages
can tell they came from one version; clients need not read it, and the mirror never does.
``Last-Modified`` is the moment of the last data write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Hashable
from email.utils import format_datetime, parsedate_to_datetime


def weak_etag(data_version: int, shape: Hashable) -> str:
    """``W/"<data version>-<digest>"`` over the data version and the request's shape."""
    digest = hashlib.sha256(repr((data_version, shape)).encode())
    return f'W/"{data_version}-{digest.hexdigest()[:32]}"'


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
