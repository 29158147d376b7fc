"""The list envelope's ``next``/``previous`` links, written as upstream's paginator writes them.

DRF's LimitOffsetPagination rules: every request parameter is kept (unknown ones too), names
are sorted by code point with a repeated name keeping all its values in order, ``limit`` is always
written, ``offset`` is set, or dropped from ``previous`` when it would be zero or less, and values
are form-encoded (upper-case ``%XX`` except letters, digits and ``_.-~``; a space is ``+``).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _url(page_url: str, grouped: dict[str, list[str]]) -> str:
    return page_url + "?" + urlencode(sorted(grouped.items()), doseq=True)


def next_link(
    page_url: str, pairs: Iterable[tuple[str, str]], *, count: int, limit: int, offset: int
) -> str | None:
    """The next page's url, or None on the last page (``page_url`` has no query string)."""
    if offset + limit >= count:
        return None
    grouped = _grouped(pairs)
    grouped["limit"] = [str(limit)]
    grouped["offset"] = [str(offset + limit)]
    return _url(page_url, grouped)


def previous_link(
    page_url: str, pairs: Iterable[tuple[str, str]], *, limit: int, offset: int
) -> str | None:
    """The previous page's url, or None on the first page."""
    if offset <= 0:
        return None
    grouped = _grouped(pairs)
    grouped["limit"] = [str(limit)]
    if offset - limit <= 0:
        grouped.pop("offset", None)
    else:
        grouped["offset"] = [str(offset - limit)]
    return _url(page_url, grouped)
