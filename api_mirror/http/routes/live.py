"""``GET /``, the live page for people, and ``GET /live/docked``, the list it redraws.

Both read the open docking events from the database (``api_mirror.live.docked``); the page then
follows ``/events`` in the browser. See ``api_mirror.live.page`` for what it shows.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api_mirror.http.context import context_of
from api_mirror.live.docked import docked_now
from api_mirror.live.page import render_docked, render_page
from models.fleet.stream import NOTIFICATION_TYPES

NO_STORE = {"Cache-Control": "no-store"}


def live_page(request: Request) -> Response:
    """The live page, with the docked list as of now."""
    context = context_of(request)
    with Session(context.engine) as session:
        docked = docked_now(session)
    html = render_page(docked, context.clock(), NOTIFICATION_TYPES)
    return HTMLResponse(html, headers=NO_STORE)


def docked_fragment(request: Request) -> Response:
    """The docked list alone, as the HTML fragment the page swaps in."""
    context = context_of(request)
    with Session(context.engine) as session:
        docked = docked_now(session)
    return HTMLResponse(render_docked(docked, context.clock()), headers=NO_STORE)
