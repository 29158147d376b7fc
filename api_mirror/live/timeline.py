"""The live page's history picture: per station, each port a row and each stay a bar.

Inline SVG, no asset from anywhere. Horizontal positions are percentages of the picture's width
(the window from ``start`` to ``now``), so the picture fits a phone's width without shrinking its
text; a bar is a nested ``<svg>`` that clips the vehicle's name written on it, links to the event
and carries a ``<title>`` (the tooltip: vehicle, port, from, to, for how long). Open stays (no
departure yet) reach the right edge, now, and are drawn in the ``open`` style. The window is
``days`` back from now (``all``: from the first docking); the page links the usual choices.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from html import escape

from api_mirror.live.page import EVENT_PATH
from api_mirror.live.stays import Stay
from models.support.spans import human_span

DEFAULT_DAYS = 90
MAX_DAYS = 36_500
# The choices the page links, as (query value, label).
WINDOWS = (("90", "90 days"), ("365", "1 year"), ("1825", "5 years"), ("all", "all"))
AXIS = 18  # px above the first row: the month or year labels
ROW = 40  # px per port: its name, then its bars
BAR = 18  # px, a bar's height
MIN_WIDTH = 0.4  # percent: a stay of an hour is still a visible bar
LAST_LABEL = 92  # percent: no tick label starts nearer the right edge than this


class WindowError(ValueError):
    """A ``days`` value that is neither a whole number of days in range nor ``all``."""


def parse_days(value: str | None) -> int | None:
    """``?days=``: a whole number of days (1 to 36500), ``all`` (None), or the default 90.

    Raises ``WindowError`` with a one-line reason for anything else.
    """
    if value is None or value == "":
        return DEFAULT_DAYS
    if value.strip().lower() == "all":
        return None
    try:
        days = int(value)
    except ValueError:
        raise WindowError(f"days must be a whole number of days or 'all', not {value!r}") from None
    if not 1 <= days <= MAX_DAYS:
        raise WindowError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    return days


def window_start(days: int | None, stays: Sequence[Stay], now: dt.datetime) -> dt.datetime:
    """Where the picture starts: ``days`` before ``now``, or the first docking for ``all``."""
    if days is not None:
        return now - dt.timedelta(days=days)
    first = min((stay.docking for stay in stays), default=now - dt.timedelta(days=DEFAULT_DAYS))
    return min(first, now - dt.timedelta(days=1))


def _when(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ticks(start: dt.datetime, now: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """Month starts for a short window, quarters for a few years, years beyond (≤ 12 labels)."""
    days = (now - start).days
    months_apart = 1 if days <= 200 else 3 if days <= 1100 else 12
    year, month = start.year, start.month
    ticks = []
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if (month - 1) % months_apart:
            continue
        instant = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        if instant >= now:
            break
        label = instant.strftime("%b %Y") if months_apart < 12 else str(year)
        ticks.append((instant, label))
    step = max(1, -(-len(ticks) // 12))
    return ticks[::step]


def _percent(instant: dt.datetime, start: dt.datetime, now: dt.datetime) -> float:
    whole = (now - start).total_seconds()
    return min(100.0, max(0.0, (instant - start).total_seconds() / whole * 100))


def _bar(stay: Stay, y: int, start: dt.datetime, now: dt.datetime) -> str:
    left = _percent(stay.docking, start, now)
    right = _percent(stay.departure or now, start, now)
    width = max(MIN_WIDTH, right - left)
    left = min(left, 100 - width)
    until = _when(stay.departure) if stay.departure else "now"
    lasted = human_span(((stay.departure or now) - stay.docking).total_seconds())
    tip = f"{stay.vehicle} at {stay.port}: {_when(stay.docking)} to {until} ({lasted})"
    kind = "closed" if stay.departure else "open"
    return (
        f'<a href="{EVENT_PATH.format(stay.event_id)}">'
        f'<svg class="stay {kind}" data-stay="{stay.event_id}" x="{left:.3f}%" y="{y}"'
        f' width="{width:.3f}%" height="{BAR}"><title>{escape(tip)}</title>'
        f'<rect width="100%" height="100%" rx="3"></rect>'
        f'<text x="4" y="13">{escape(stay.vehicle)}</text></svg></a>'
    )


def _station(name: str, stays: list[Stay], start: dt.datetime, now: dt.datetime) -> str:
    ports = sorted({stay.port for stay in stays})
    height = AXIS + ROW * len(ports)
    parts = []
    for instant, label in _ticks(start, now):
        at = _percent(instant, start, now)
        if at > LAST_LABEL:
            continue  # its label would be cut by the right edge
        x = f"{at:.3f}%"
        parts.append(
            f'<line class="tick" x1="{x}" x2="{x}" y1="{AXIS - 4}" y2="{height}"></line>'
            f'<text class="tick-label" x="{x}" y="11">{label}</text>'
        )
    for row, port in enumerate(ports):
        top = AXIS + ROW * row
        parts.append(f'<text class="port" x="0" y="{top + 12}">{escape(port)}</text>')
        parts.extend(_bar(stay, top + 17, start, now) for stay in stays if stay.port == port)
    label = f"Stays at {name} from {_when(start)} to now"
    return (
        f'<figure class="timeline" data-station="{escape(name)}"><figcaption>{escape(name)}'
        f'</figcaption><svg width="100%" height="{height}" role="img"'
        f' aria-label="{escape(label)}">{"".join(parts)}</svg></figure>'
    )


def render_timeline(
    stays: Sequence[Stay], now: dt.datetime, days: int | None, path: str = "/"
) -> str:
    """The history picture as an HTML fragment: the window's links, then one figure per station.

    ``stays`` are those overlapping the window (``api_mirror.live.stays.stays_since``); ``path``
    is where the window links point (the page itself).
    """
    start = window_start(days, stays, now)
    shown = "all" if days is None else str(days)
    current = ' aria-current="page"'
    links = " · ".join(
        f'<a href="{path}?days={value}"{current if value == shown else ""}>{label}</a>'
        for value, label in WINDOWS
    )
    visible = [stay for stay in stays if stay.docking < now]
    if not visible:
        figures = '<p class="empty">No stays in this window.</p>'
    else:
        groups = itertools.groupby(visible, key=lambda stay: stay.station)
        figures = "".join(_station(name, list(group), start, now) for name, group in groups)
    return (
        f'<div id="timeline" data-days="{shown}"><nav class="range">Show: {links}</nav>'
        f"{figures}</div>"
    )
