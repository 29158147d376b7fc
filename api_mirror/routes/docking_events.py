"""``/2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/``, answered as upstream answers.

The handlers read the raw query string themselves (FastAPI's validation would answer 422 where
upstream is lenient) and take every method, so that other methods get upstream's 405 body. The
order of checks is upstream's: unknown ``format`` (404), then the method (405), then the data.

Each request first reads the data version (one tiny query): a matching conditional request
answers 304 right there, and a page already rendered in this second comes from the response
cache; only otherwise is the page queried and serialized.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api_mirror.context import MirrorContext, context_of
from api_mirror.fingerprint import http_date, not_modified, weak_etag
from api_mirror.links import next_link, previous_link
from api_mirror.params import (
    QueryError,
    last_values,
    parse_query_string,
    response_format,
)
from api_mirror.query import get_event, query_events
from api_mirror.render import API_ROOT, VIEW_HEADERS, json_bytes, json_response, request_root
from api_mirror.serialize import LinkStyle, serialize_event, serialize_events
from models.data_version import read_data_version

LIST_PATH = f"{API_ROOT}/docking_event/"
DETAIL_PATH = f"{API_ROOT}/docking_event/{{ident}}/"

# Builds the body for a session and a serve time, or raises QueryError.
Render = Callable[[Session, dt.datetime], Any]


def _preflight(request: Request) -> tuple[list[tuple[str, str]], bool, Response | None]:
    """The query pairs, whether ``format=json`` was asked, or an early 404/405 answer."""
    pairs = parse_query_string(request.scope.get("query_string", b""))
    head = request.method == "HEAD"
    try:
        fmt = response_format(last_values(pairs))
    except QueryError as error:
        return pairs, False, json_response(error.status, error.body, head=head)
    if request.method != "GET":
        body = {"detail": f'Method "{request.method}" not allowed.'}
        return pairs, False, json_response(405, body, head=head)
    return pairs, fmt == "json", None


def _answer(request: Request, context: MirrorContext, shape: Hashable, render: Render) -> Response:
    """304, a cached body, or a freshly rendered one (all with ETag and Last-Modified)."""
    # Whole seconds: the durations are whole seconds, so one body serves the whole second.
    now = context.clock().replace(microsecond=0)
    with Session(context.engine) as session:
        version = read_data_version(session)
        etag = weak_etag(version.number, shape)
        headers = {"ETag": etag}
        if version.changed_at is not None:
            headers["Last-Modified"] = http_date(version.changed_at)
        if not_modified(
            request.headers.get("if-none-match"),
            request.headers.get("if-modified-since"),
            etag=etag,
            last_modified=version.changed_at,
        ):
            return Response(status_code=304, headers={"Vary": "Accept", **headers})
        key = (version.number, shape, now)
        content = context.cache.get(key)
        if content is None:
            try:
                content = json_bytes(render(session, now))
            except QueryError as error:
                return json_response(error.status, error.body)
            context.cache.put(key, content)
    return Response(
        content,
        status_code=200,
        media_type="application/json",
        headers={**VIEW_HEADERS, **headers},
    )


def list_events(request: Request) -> Response:
    """The list route: filters, search, ordering, paging, the count/next/previous envelope."""
    pairs, format_json, early = _preflight(request)
    if early is not None:
        return early
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = LinkStyle(base=root + API_ROOT, format_json=format_json)
    page_url = root + LIST_PATH

    def render(session: Session, now: dt.datetime) -> dict[str, Any]:
        page = query_events(session, pairs)
        return {
            "count": page.count,
            "next": next_link(
                page_url, pairs, count=page.count, limit=page.limit, offset=page.offset
            ),
            "previous": previous_link(page_url, pairs, limit=page.limit, offset=page.offset),
            "results": serialize_events(
                page.graphs, mode="detailed" if page.detailed else "normal", links=links, now=now
            ),
        }

    return _answer(request, context, ("list", links, tuple(pairs)), render)


def detail_event(request: Request) -> Response:
    """The detail route: always the detailed form."""
    _, format_json, early = _preflight(request)
    if early is not None:
        return early
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = LinkStyle(base=root + API_ROOT, format_json=format_json)
    ident = request.path_params["ident"]

    def render(session: Session, now: dt.datetime) -> dict[str, Any]:
        return serialize_event(get_event(session, ident), mode="detailed", links=links, now=now)

    return _answer(request, context, ("detail", links, ident), render)


def append_slash(request: Request) -> Response:
    """A path without its trailing slash: a permanent redirect, as Django's APPEND_SLASH does."""
    target = request.url.path + "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    return RedirectResponse(target + ("?" + query if query else ""), status_code=301)
