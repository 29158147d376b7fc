"""``/2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/``, answered as upstream answers.

The handlers read the raw query string themselves (FastAPI's validation would answer 422 where
upstream is lenient) and take every method, so that other methods get upstream's 405 body. The
order of checks is upstream's: unknown ``format`` (404), then the method (405), then the data.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api_mirror.context import context_of
from api_mirror.fingerprint import http_date, not_modified, weak_etag
from api_mirror.links import next_link, previous_link
from api_mirror.params import (
    QueryError,
    last_values,
    parse_query_string,
    response_format,
)
from api_mirror.query import get_event, query_events
from api_mirror.render import API_ROOT, json_response, request_root
from api_mirror.serialize import LinkStyle, serialize_event, serialize_events

LIST_PATH = f"{API_ROOT}/docking_event/"
DETAIL_PATH = f"{API_ROOT}/docking_event/{{ident}}/"


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


def _conditional(request: Request, etag: str, last_modified: Any, body: Any) -> Response:
    headers = {"ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    if not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        etag=etag,
        last_modified=last_modified,
    ):
        return Response(status_code=304, headers={"Vary": "Accept", **headers})
    return json_response(200, body() if callable(body) else body, headers=headers)


def list_events(request: Request) -> Response:
    """The list route: filters, search, ordering, paging, the count/next/previous envelope."""
    pairs, format_json, early = _preflight(request)
    if early is not None:
        return early
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    with Session(context.engine) as session:
        try:
            page = query_events(session, pairs)
        except QueryError as error:
            return json_response(error.status, error.body)
    now = context.clock()
    links = LinkStyle(base=root + API_ROOT, format_json=format_json)
    page_url = root + LIST_PATH
    shape = ("list", links, page.detailed, tuple(pairs), page.count)

    def body() -> dict[str, Any]:
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

    etag = weak_etag(shape, page.graphs)
    return _conditional(request, etag, page.last_modified, body)


def detail_event(request: Request) -> Response:
    """The detail route: always the detailed form."""
    _, format_json, early = _preflight(request)
    if early is not None:
        return early
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    with Session(context.engine) as session:
        try:
            graph = get_event(session, request.path_params["ident"])
        except QueryError as error:
            return json_response(error.status, error.body)
    links = LinkStyle(base=root + API_ROOT, format_json=format_json)
    now = context.clock()
    etag = weak_etag(("detail", links), [graph])

    def body() -> dict[str, Any]:
        return serialize_event(graph, mode="detailed", links=links, now=now)

    return _conditional(request, etag, graph.event.last_changed_at, body)


def append_slash(request: Request) -> Response:
    """A path without its trailing slash: a permanent redirect, as Django's APPEND_SLASH does."""
    target = request.url.path + "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    return RedirectResponse(target + ("?" + query if query else ""), status_code=301)
