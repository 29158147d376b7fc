"""LL2 2.2.0's value formats, both ways: instants, dates, durations and plain urls.

Upstream (DRF) writes instants as ISO 8601 in UTC with ``Z`` and microseconds only when they
are non-zero (``2024-11-15T18:32:00Z``), dates as ``YYYY-MM-DD`` and durations as ISO 8601 with
days as the largest unit and zero parts left out (``P139DT10H52M14S``, zero is ``P0D``). Every
instant dockwatch writes anywhere (JSON, sync state, notifications) uses ``format_instant``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from models.ll2.errors import MalformedEvent

_SECOND = dt.timedelta(seconds=1)
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)(?:\.\d+)?S)?)?$"
)


def format_instant(value: dt.datetime) -> str:
    """DRF's rendering: ISO 8601 in UTC with ``Z``, microseconds only when non-zero.

    A naive value is taken as UTC (the databases hand back UTC).
    """
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat()[:-6] + "Z"


def format_datetime(value: dt.datetime | None) -> str | None:
    """``format_instant``, with null kept null."""
    return None if value is None else format_instant(value)


def format_date(value: dt.date | None) -> str | None:
    """``YYYY-MM-DD`` or null."""
    return None if value is None else value.isoformat()


def format_duration(seconds: int) -> str:
    """ISO 8601 with days as the largest unit and zero parts left out; zero (or less) is ``P0D``."""
    if seconds <= 0:
        return "P0D"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def current_seconds(
    stored: int | None, fetched_at: dt.datetime | None, growing: bool, now: dt.datetime
) -> int | None:
    """A duration as fetched plus the whole seconds elapsed since, when it is growing."""
    if stored is None:
        return None
    if not growing or fetched_at is None:
        return stored
    return stored + max(0, (now - fetched_at) // _SECOND)


def current_duration(
    stored: int | None, fetched_at: dt.datetime | None, growing: bool, now: dt.datetime
) -> str | None:
    """``current_seconds`` written as upstream writes a duration (null kept null)."""
    seconds = current_seconds(stored, fetched_at, growing, now)
    return None if seconds is None else format_duration(seconds)


def parse_datetime(value: Any) -> dt.datetime | None:
    """An upstream instant (``2024-11-15T18:32:00Z``) as aware UTC; raises MalformedEvent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"expected a datetime string, got {type(value).__name__}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEvent(f"invalid datetime {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    """An upstream date (``2017-04-20``); raises MalformedEvent."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise MalformedEvent(f"invalid date {value!r}") from None


def parse_duration(value: Any) -> int | None:
    """An ISO 8601 duration such as ``P139DT10H52M14S`` as whole seconds; raises MalformedEvent."""
    if value is None:
        return None
    match = _DURATION.match(str(value))
    if match is None:
        raise MalformedEvent(f"invalid duration {value!r}")
    parts = {name: int(number) for name, number in match.groupdict(default="0").items()}
    return parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]


def plain_url(value: Any) -> str | None:
    """Upstream's URL for a plain request: any ``?format=…`` suffix removed."""
    if value is None:
        return None
    text = str(value)
    if "?" not in text and "#" not in text:
        return text  # the common case, and a hot path of every page
    parts = urlsplit(text)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
