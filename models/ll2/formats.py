"""LL2 2.2.0's value formats: instants, dates and durations as upstream writes them; plain urls.

Upstream (DRF) writes instants as ISO 8601 in UTC with ``Z`` and microseconds only when they
are non-zero (``2024-11-15T18:32:00Z``), dates as ``YYYY-MM-DD`` and durations as ISO 8601 with
days as the largest unit and zero parts left out (``P139DT10H52M14S``, zero is ``P0D``). Every
instant dockwatch writes anywhere (JSON, sync state, notifications) uses ``format_instant``.
Reading upstream's values is the schema's job (``models.ll2.schema``), with ``DURATION_PATTERN``
and ``parse_duration`` from here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from models.ll2.errors import MalformedEvent

_SECOND = dt.timedelta(seconds=1)
# Upstream's durations; at most 12 digits a part, so the seconds always fit a BIGINT.
DURATION_PATTERN = (
    r"^P(?:(?P<days>\d{1,12})D)?(?:T(?:(?P<hours>\d{1,12})H)?(?:(?P<minutes>\d{1,12})M)?"
    r"(?:(?P<seconds>\d{1,12})(?:\.\d+)?S)?)?$"
)
_DURATION = re.compile(DURATION_PATTERN)


def format_instant(value: dt.datetime) -> str:
    """DRF's rendering: ISO 8601 in UTC with ``Z``, microseconds only when non-zero.

    A naive value is taken as UTC (the databases hand back UTC).
    """
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat()[:-6] + "Z"


def parse_instant(text: str) -> dt.datetime:
    """The inverse of ``format_instant``: ISO 8601 (``Z`` or an offset) as aware UTC.

    A value without an offset is taken as UTC. Raises ValueError for anything else.
    """
    moment = dt.datetime.fromisoformat(text)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


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
