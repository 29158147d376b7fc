"""``/2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/``, answered as upstream answers.

The handlers read the raw query string themselves (FastAPI's validation would answer 422 where
upstream is lenient) and take every method, so that other methods get upstream's 405 body. They
also answer the format-suffix routes (``/docking_event.json``, ``/615.api``; see
``api_mirror.drf.suffixes``). The order of checks is DRF's:

1. content negotiation (``APIView.initial``): a format no renderer has is a 404, an ``Accept``
   no renderer satisfies a 406; both are JSON, as DRF falls back to its first renderer;
2. the method: anything but GET is a 405;
3. the filter backends (``filter_queryset``, which the detail route runs too, in
   ``get_object``): a bad filter or search value is a 400;
4. the detail route's lookup in the filtered set: a non-integer id is a 404 ``Not found.``, an
   event that does not exist or that the filters leave out a 404 ``No DockingEvent matches…``.

From step 2 on, answers come in the negotiated form: JSON, or the browsable page (``?format=api``,
a ``.api`` suffix or a browser's ``Accept: text/html``) with the JSON answer's status.

Each request answers from one snapshot (``api_mirror.read.current``): the one current when it
starts, never a query per request. It is validated against that snapshot first (the list's
parameters must parse, the detail's event must be there), so a conditional request never
turns a 400 or 404 into a 304; then a matching conditional request answers 304, and otherwise
the body is assembled from the events' compiled bodies (``api_mirror.read.bodies``) and kept in
the answer cache, which ``api_mirror.http.fast_path`` consults for the repeats before the
framework runs. The representation (JSON, its indent, or the page and its request line) is part
of the ETag and the cache key. Answers say ``Cache-Control: no-cache``: the durations grow every
second, so intermediaries must revalidate (cheaply, with the ETag) rather than apply heuristic
freshness.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api_mirror.drf import suffixes
from api_mirror.drf.negotiation import Representation
from api_mirror.drf.pagination import next_link, previous_link
from api_mirror.drf.params import (
    NOT_FOUND,
    Pairs,
    QueryError,
    last_values,
    parse_list_params,
    parse_query_string,
)
from api_mirror.drf.renderer import API_ROOT, VIEW_HEADERS, json_response, request_root
from api_mirror.http.conditional import http_date, not_modified, weak_etag
from api_mirror.http.context import MirrorContext, context_of
from api_mirror.read.answer_cache import Answer, answer_key
from api_mirror.read.bodies import BodyWriter, event_body, list_body
from api_mirror.read.query import find_event, select_page
from api_mirror.read.snapshot import Snapshot
from models.ll2.render import LinkStyle
from models.ll2.template import style_ends

LIST_PATH = f"{API_ROOT}/docking_event/"
DETAIL_PATH = f"{API_ROOT}/docking_event/{{ident}}/"

# Builds the compact JSON body for the serve time; returns it and whether it holds a growing
# duration (then it is right for this second only).
Render = Callable[[dt.datetime], tuple[bytes, bool]]
# Validates the request against a snapshot (raises QueryError) and returns the shape of its
# answer (what the body depends on besides the data) and how to render it.
Prepare = Callable[[Snapshot], tuple[Hashable, Render]]
# Revalidate on every use: a body is only right for the second it was served in.
CACHE_CONTROL = {"Cache-Control": "no-cache"}
_PLAIN_JSON = Representation("json", None)


def _preflight(request: Request, name: str) -> tuple[Pairs, Representation] | Response:
    """The query pairs and the negotiated representation, or an early 404/405/406 answer."""
    pairs = parse_query_string(request.scope.get("query_string", b""))
    try:
        representation = suffixes.representation_of(request, last_values(pairs))
    except QueryError as error:
        # No renderer was chosen: DRF renders the error with its first one, JSON.
        return json_response(error.status, error.body, head=request.method == "HEAD")
    if request.method != "GET":
        body = {"detail": f'Method "{request.method}" not allowed.'}
        return suffixes.respond(request, representation, name, 405, body)
    return pairs, representation


def _unroutable(request: Request) -> Response:
    """What a path no route of upstream's router matches gets (as the app's own 404)."""
    return json_response(404, NOT_FOUND, head=request.method == "HEAD")


def _respond(
    request: Request,
    context: MirrorContext,
    view: tuple[str, str, Representation],
    prepare: Prepare,
    snapshot: Snapshot,
    now: dt.datetime,
) -> Response:
    """An error, a 304, or a freshly assembled answer (then kept for repeats), from ``snapshot``.

    ``view`` is the view's name, its route template and the representation.
    """
    name, route, representation = view
    route = getattr(request.scope.get("route"), "path", route)
    try:
        shape, render = prepare(snapshot)
    except QueryError as error:
        return suffixes.respond(request, representation, name, error.status, error.body)
    etag = weak_etag(snapshot.version, (shape, suffixes.variant(request, representation)))
    headers = {"ETag": etag, **CACHE_CONTROL}
    if snapshot.changed_at is not None:
        headers["Last-Modified"] = http_date(snapshot.changed_at)
    if not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        etag=etag,
        last_modified=snapshot.changed_at,
    ):
        return Response(status_code=304, headers={"Vary": "Accept", **headers})
    compact, growing = render(now)
    content = compact
    if representation != _PLAIN_JSON:
        content = suffixes.content(request, representation, name, 200, json.loads(compact))
    not_modified_headers = _raw({"Vary": "Accept", **headers})
    headers["Content-Type"] = suffixes.media_type(representation)
    response = Response(content, status_code=200, headers={**VIEW_HEADERS, **headers})
    context.cache.put(
        snapshot.version,
        answer_key(request.scope),
        Answer(
            content=content,
            headers=response.raw_headers,
            not_modified_headers=not_modified_headers,
            etag=etag,
            last_modified=snapshot.changed_at,
            second=int(now.timestamp()) if growing else None,
            route=route,
        ),
    )
    return response


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


async def _answer(
    request: Request, view: tuple[str, str, Representation], prepare: Prepare
) -> Response:
    """``_respond`` from the current snapshot (built first if the app has none yet)."""
    context = context_of(request)
    # Whole seconds: the durations are whole seconds, so one body serves the whole second.
    now = context.clock().replace(microsecond=0)
    snapshot = context.snapshots.current
    if snapshot is None:
        snapshot = await run_in_threadpool(context.snapshots.refresh)
    return _respond(request, context, view, prepare, snapshot, now)


def _writer(
    snapshot: Snapshot, links: LinkStyle, *, detailed: bool, now: dt.datetime
) -> BodyWriter:
    ends = style_ends(links)
    fragments = snapshot.compiled_fragments(ends, detailed=detailed)
    return BodyWriter(links.base, ends, fragments, detailed=detailed, now=now)


async def list_events(request: Request) -> Response:
    """The list route: filters, search, ordering, paging, the count/next/previous envelope.

    On a suffix route (``/docking_event.json``) ``next`` and ``previous`` keep the suffixed path,
    as DRF's paginator builds them from the request's own url.
    """
    start = _preflight(request, suffixes.LIST_NAME)
    if isinstance(start, Response):
        return start
    pairs, representation = start
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = suffixes.link_style(request, root, last_values(pairs))
    page_url = root + request.url.path

    def prepare(snapshot: Snapshot) -> tuple[Hashable, Render]:
        params = parse_list_params(pairs)  # a 400 before any conditional answer

        def render(now: dt.datetime) -> tuple[bytes, bool]:
            page = select_page(snapshot, params)
            writer = _writer(snapshot, links, detailed=page.detailed, now=now)
            body = list_body(
                writer,
                count=page.count,
                next_url=next_link(
                    page_url, pairs, count=page.count, limit=page.limit, offset=page.offset
                ),
                previous_url=previous_link(page_url, pairs, limit=page.limit, offset=page.offset),
                entries=page.entries,
            )
            return body, writer.growing

        return ("list", links, page_url, tuple(pairs)), render

    view = (suffixes.LIST_NAME, LIST_PATH, representation)
    return await _answer(request, view, prepare)


async def detail_event(request: Request) -> Response:
    """The detail route: always the detailed form, looked up among the events the filters keep."""
    ident = request.path_params["ident"]
    if "." in ident:
        return _unroutable(request)
    start = _preflight(request, suffixes.DETAIL_NAME)
    if isinstance(start, Response):
        return start
    pairs, representation = start
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = suffixes.link_style(request, root, last_values(pairs))

    def prepare(snapshot: Snapshot) -> tuple[Hashable, Render]:
        # A 400 or 404 before any conditional answer.
        entry = find_event(snapshot, ident, parse_list_params(pairs))

        def render(now: dt.datetime) -> tuple[bytes, bool]:
            writer = _writer(snapshot, links, detailed=True, now=now)
            return event_body(writer, entry), writer.growing

        return ("detail", links, ident), render

    view = (suffixes.DETAIL_NAME, DETAIL_PATH, representation)
    return await _answer(request, view, prepare)


def append_slash(request: Request) -> Response:
    """A path without its trailing slash: a permanent redirect, as Django's APPEND_SLASH does.

    Django redirects only when the path with a slash would match a route: an id with a ``.``
    that is no format suffix (``/docking_event/6.15``) matches none, so it is a 404.
    """
    if "." in request.path_params.get("ident", ""):
        return _unroutable(request)
    target = request.url.path + "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    return RedirectResponse(target + ("?" + query if query else ""), status_code=301)
