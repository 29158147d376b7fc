"""Upstream's value forms, shared by the data generator and the fake server.

An event is a plain dict in LL2 2.2.0 detailed form. Upstream writes datetimes in UTC with a
``Z`` and microseconds only when non-zero, and durations as ISO 8601 with days as the largest
unit; this module formats and parses both, and ``dig`` looks up a nested key path in an event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]

_DURATION_RE = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def format_datetime(value: datetime) -> str:
    """Upstream's datetime form: UTC, ``Z``, microseconds only when non-zero."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_datetime(text: str) -> datetime:
    """Parse a stored upstream datetime string (``…Z`` or an offset) to an aware datetime."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def format_duration(seconds: float) -> str:
    """ISO-8601 duration with days as the largest unit, whole seconds, zero parts left out."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date_part = f"{days}D" if days else ""
    time_part = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    if not date_part and not time_part:
        return "P0D"
    return "P" + date_part + (f"T{time_part}" if time_part else "")


def parse_duration(text: str | None) -> int:
    """Whole seconds of an ISO-8601 duration as written by upstream (``P139DT10H52M14S``)."""
    match = _DURATION_RE.match(text or "")
    if not match:
        return 0
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return int(parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"])


def dig(value: Any, path: Iterable[str]) -> Any:
    """The value at ``path`` (keys, outermost first) in nested dicts; None when a step is
    missing or not a dict."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
