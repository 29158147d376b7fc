"""``GET /``, the live page for people, and the fragments and data it fetches again.

``/live/docked`` is the docked list, ``/live/timeline?days=`` the history picture, both read from
the database (``models.store.docked``, ``api_mirror.live.stays``); ``/live/recent`` the latest
notifications retained in the stream. The page then follows ``/events`` in the browser. See
``api_mirror.live.page`` for what it shows.
"""

from __future__ import annotations

import datetime as dt

import redis
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api_mirror.drf.renderer import json_response
from api_mirror.http.context import context_of
from api_mirror.http.routes.events import EventFeed
from api_mirror.live.page import render_docked, render_page
from api_mirror.live.stays import stays_since
from api_mirror.live.timeline import WindowError, parse_days, render_timeline
from models.fleet.stream import NOTIFICATION_TYPES
from models.store.docked import docked_now

NO_STORE = {"Cache-Control": "no-store"}
RECENT_COUNT = 50


def _timeline(session: Session, now: dt.datetime, days: int | None) -> str:
    start = None if days is None else now - dt.timedelta(days=days)
    return render_timeline(stays_since(session, start), now, days)


def live_page(request: Request) -> Response:
    """The live page, with the docked list and the history picture as of now (400: bad days)."""
    context = context_of(request)
    try:
        days = parse_days(request.query_params.get("days"))
    except WindowError as error:
        return json_response(400, {"detail": str(error)})
    now = context.clock()
    with Session(context.engine) as session:
        docked = docked_now(session)
        timeline = _timeline(session, now, days)
    html = render_page(docked, now, NOTIFICATION_TYPES, timeline)
    return HTMLResponse(html, headers=NO_STORE)


def docked_fragment(request: Request) -> Response:
    """The docked list alone, as the HTML fragment the page swaps in."""
    context = context_of(request)
    with Session(context.engine) as session:
        docked = docked_now(session)
    return HTMLResponse(render_docked(docked, context.clock()), headers=NO_STORE)


def timeline_fragment(request: Request) -> Response:
    """The history picture alone for ``?days=`` (default 90, ``all``), or 400 naming the value."""
    context = context_of(request)
    try:
        days = parse_days(request.query_params.get("days"))
    except WindowError as error:
        return json_response(400, {"detail": str(error)})
    with Session(context.engine) as session:
        timeline = _timeline(session, context.clock(), days)
    return HTMLResponse(timeline, headers=NO_STORE)


async def recent_notifications(request: Request) -> Response:
    """The latest retained notifications, oldest first: ``[{"id": entry id, "event": {…}}]``.

    ``[]`` when the mirror has no Redis feed; 503 with a one-line reason when Redis fails.
    """
    feed: EventFeed | None = getattr(request.app.state, "event_feed", None)
    if feed is None:
        return json_response(200, [], headers=NO_STORE)
    try:
        entries = await feed.fanout.latest(RECENT_COUNT)
    except (redis.RedisError, OSError) as error:
        detail = f"the latest notifications are unavailable: {type(error).__name__}"
        return json_response(503, {"detail": detail})
    shown = [{"id": e.entry_id, "event": e.event} for e in entries if e.event is not None]
    return json_response(200, shown, headers=NO_STORE)
