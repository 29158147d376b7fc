"""``/2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/``, answered as upstream answers.

The handlers read the raw query string themselves (FastAPI's validation would answer 422 where
upstream is lenient) and take every method, so that other methods get upstream's 405 body. They
also answer the format-suffix routes (``/docking_event.json``, ``/615.api``; see
``routes.formats``). The order of checks is DRF's:

1. content negotiation (``APIView.initial``): a format no renderer has is a 404, an ``Accept``
   no renderer satisfies a 406; both are JSON, as DRF falls back to its first renderer;
2. the method: anything but GET is a 405;
3. the filter backends (``filter_queryset``, which the detail route runs too, in
   ``get_object``): a bad filter or search value is a 400;
4. the detail route's lookup in the filtered set: a non-integer id is a 404 ``Not found.``, an
   event that does not exist or that the filters leave out a 404 ``No DockingEvent matches…``.

From step 2 on, answers come in the negotiated form: JSON, or the browsable page (``?format=api``,
a ``.api`` suffix or a browser's ``Accept: text/html``) with the JSON answer's status.

Each request reads the data version (one tiny query) and is then validated: the list's
parameters must parse, the detail's event must exist (it is loaded once, here), so a conditional
request never turns a 400 or 404 into a 304. Only then does a matching conditional request answer
304, and a page already rendered in this second come from the response cache; otherwise the page
is queried, and its events come from the fragment cache (serialized earlier under the same data
version, their durations brought current) or are loaded and serialized. The representation
(JSON, its indent, or the page and its request line) is part of the ETag and the cache key.
Answers say ``Cache-Control: no-cache``: the durations grow every second, so intermediaries must
revalidate (cheaply, with the ETag) rather than apply heuristic freshness.
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
from api_mirror.fragments import finish_fragment, make_fragments
from api_mirror.links import next_link, previous_link
from api_mirror.negotiation import Representation
from api_mirror.params import (
    NOT_FOUND,
    Pairs,
    QueryError,
    last_values,
    parse_list_params,
    parse_query_string,
)
from api_mirror.query import get_event, query_event_ids
from api_mirror.render import API_ROOT, VIEW_HEADERS, json_response, request_root
from api_mirror.routes import formats
from models.data_version import read_data_version
from models.ll2.graph import load_graphs
from models.ll2.render import LinkStyle, Mode, serialize_event

LIST_PATH = f"{API_ROOT}/docking_event/"
DETAIL_PATH = f"{API_ROOT}/docking_event/{{ident}}/"

# Builds the body for a session, the data version read and a serve time (the request is
# already validated).
Render = Callable[[Session, int, dt.datetime], Any]
# Validates the request against the data (raises QueryError) and returns how to render it.
Prepare = Callable[[Session], Render]
# Revalidate on every use: a body is only right for the second it was served in.
CACHE_CONTROL = {"Cache-Control": "no-cache"}


def _preflight(request: Request, name: str) -> tuple[Pairs, Representation] | Response:
    """The query pairs and the negotiated representation, or an early 404/405/406 answer."""
    pairs = parse_query_string(request.scope.get("query_string", b""))
    try:
        representation = formats.representation_of(request, last_values(pairs))
    except QueryError as error:
        # No renderer was chosen: DRF renders the error with its first one, JSON.
        return json_response(error.status, error.body, head=request.method == "HEAD")
    if request.method != "GET":
        body = {"detail": f'Method "{request.method}" not allowed.'}
        return formats.respond(request, representation, name, 405, body)
    return pairs, representation


def _unroutable(request: Request) -> Response:
    """What a path no route of upstream's router matches gets (as the app's own 404)."""
    return json_response(404, NOT_FOUND, head=request.method == "HEAD")


def _answer(
    request: Request,
    context: MirrorContext,
    view: tuple[str, Representation],
    shape: Hashable,
    prepare: Prepare,
) -> Response:
    """An error, 304, a cached body, or a freshly rendered one (all with ETag and Last-Modified).

    ``view`` is the view's name and the representation. ``prepare`` runs first, so an invalid
    request gets its error whatever its conditional headers.
    """
    name, representation = view
    shape = (shape, formats.variant(request, representation))
    # Whole seconds: the durations are whole seconds, so one body serves the whole second.
    now = context.clock().replace(microsecond=0)
    with Session(context.engine) as session:
        # The version first: a body rendered from older rows is then cached under the older key.
        version = read_data_version(session)
        try:
            render = prepare(session)
        except QueryError as error:
            return formats.respond(request, representation, name, error.status, error.body)
        etag = weak_etag(version.number, shape)
        headers = {"ETag": etag, **CACHE_CONTROL}
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
            body = render(session, version.number, now)
            content = formats.content(request, representation, name, 200, body)
            context.cache.put(key, content)
    headers["Content-Type"] = formats.media_type(representation)
    return Response(content, status_code=200, headers={**VIEW_HEADERS, **headers})


def _results(
    context: MirrorContext,
    session: Session,
    ids: list[int],
    shape: tuple[int, Mode, LinkStyle],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """A page's events: cached fragments where there are some, the rest loaded in one go.

    The fragments are keyed on the data version read before the page's ids were queried, like
    the response cache's bodies. Loading the missing ones costs ``load_graphs``' fixed number of
    statements, whatever their number.
    """
    keys = [(*shape, ident) for ident in ids]
    fragments = context.fragments.get_many(keys)
    missing = [ident for ident, fragment in zip(ids, fragments, strict=True) if fragment is None]
    if missing:
        _, mode, links = shape
        graphs = load_graphs(session, missing)
        made = dict(
            zip(
                (graph.event.id for graph in graphs),
                make_fragments(graphs, mode=mode, links=links, now=now),
                strict=True,
            )
        )
        context.fragments.put_many([((*shape, ident), made[ident]) for ident in made])
        fragments = [made.get(i) if f is None else f for i, f in zip(ids, fragments, strict=True)]
    # An id deleted between the id query and the load is skipped, as load_graphs skips it.
    return [finish_fragment(fragment, now) for fragment in fragments if fragment is not None]


def list_events(request: Request) -> Response:
    """The list route: filters, search, ordering, paging, the count/next/previous envelope.

    On a suffix route (``/docking_event.json``) ``next`` and ``previous`` keep the suffixed path,
    as DRF's paginator builds them from the request's own url.
    """
    start = _preflight(request, formats.LIST_NAME)
    if isinstance(start, Response):
        return start
    pairs, representation = start
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = formats.link_style(request, root, last_values(pairs))
    page_url = root + request.url.path

    def prepare(_: Session) -> Render:
        parse_list_params(pairs)  # a 400 before any conditional answer
        return render

    def render(session: Session, version: int, now: dt.datetime) -> dict[str, Any]:
        page = query_event_ids(session, pairs)
        mode: Mode = "detailed" if page.detailed else "normal"
        return {
            "count": page.count,
            "next": next_link(
                page_url, pairs, count=page.count, limit=page.limit, offset=page.offset
            ),
            "previous": previous_link(page_url, pairs, limit=page.limit, offset=page.offset),
            "results": _results(context, session, page.ids, (version, mode, links), now),
        }

    view = (formats.LIST_NAME, representation)
    return _answer(request, context, view, ("list", links, page_url, tuple(pairs)), prepare)


def detail_event(request: Request) -> Response:
    """The detail route: always the detailed form, looked up among the events the filters keep."""
    ident = request.path_params["ident"]
    if "." in ident:
        return _unroutable(request)
    start = _preflight(request, formats.DETAIL_NAME)
    if isinstance(start, Response):
        return start
    pairs, representation = start
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    links = formats.link_style(request, root, last_values(pairs))

    def prepare(session: Session) -> Render:
        # A 400 or 404 before any conditional answer; the event is loaded once.
        graph = get_event(session, ident, pairs)

        def render(_: Session, __: int, now: dt.datetime) -> dict[str, Any]:
            return serialize_event(graph, mode="detailed", links=links, now=now)

        return render

    view = (formats.DETAIL_NAME, representation)
    return _answer(request, context, view, ("detail", links, ident), prepare)


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
