"""Format suffixes, the renderer choice and answers in the chosen form, for the docking-event views.

Upstream's router (DRF's ``DefaultRouter``) passes its routes through ``format_suffix_patterns``
with ``allowed=None``: next to ``docking_event/`` and ``docking_event/{id}/`` it serves
``docking_event.<fmt>`` and ``docking_event/{id}.<fmt>``, where ``<fmt>`` is ``[a-z0-9]+`` and an
optional ``/`` may follow (``/615.json`` and ``/615.json/`` both answer). The suffix names the
format and wins over ``?format=``; a suffix no renderer has (``/615.xml``) is a 404. The id
segment never holds a ``.`` (the router's lookup is ``[^/.]+``), so ``/docking_event/6.15/``
matches no route at all.

``respond`` writes an answer as the negotiated renderer does: compact (or ``indent``-ed) JSON,
or the browsable page with the JSON answer's status and headers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf.browsable import Page, render_page
from api_mirror.drf.negotiation import Representation, negotiate
from api_mirror.drf.renderer import API_ROOT, VIEW_HEADERS, json_bytes
from models.ll2.render import LinkStyle


class _Lookup(Convertor[str]):
    """The router's lookup segment: anything but ``/`` and ``.``."""

    regex = r"[^/.]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _FormatSuffix(Convertor[str]):
    """``.json``, ``.api/``, …: DRF's suffix converter (the format without its dot and slash)."""

    regex = r"\.[a-z0-9]+/?"

    def convert(self, value: str) -> str:
        return value.strip("./")

    def to_string(self, value: str) -> str:
        return "." + value + "/"


register_url_convertor("drf_lookup", _Lookup())
register_url_convertor("drf_format_suffix", _FormatSuffix())

LIST_SUFFIX_PATH = f"{API_ROOT}/docking_event{{format:drf_format_suffix}}"
DETAIL_SUFFIX_PATH = f"{API_ROOT}/docking_event/{{ident:drf_lookup}}{{format:drf_format_suffix}}"
LIST_NAME = "Docking Event List"
DETAIL_NAME = "Docking Event Instance"
# The JSON renderer's media type, which the browsable page lists as the Content-Type.
JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
# Django's get_full_path: escape_uri_path for the path, iri_to_uri for the query string.
_PATH_SAFE = "/:@&+$,-_.!~*'()"
_QUERY_SAFE = "/#%[]=:;$&()+,!?*@'~"


@dataclass(frozen=True, slots=True)
class PageShape:
    """What differs between views besides the body: the ``Allow`` header the answers (and the
    page's header lines) carry, the page's breadcrumbs (empty: the docking-event ones) and the
    view's description."""

    allow: str = VIEW_HEADERS["Allow"]
    crumbs: tuple[tuple[str, str], ...] = ()
    description: str = ""


DOCKING_PAGE = PageShape()


def suffix_of(request: Request) -> str | None:
    """The format named by the URL's suffix, if the route has one."""
    value = request.path_params.get("format")
    return value if isinstance(value, str) else None


def representation_of(request: Request, values: Mapping[str, str]) -> Representation:
    """The negotiated representation; raises QueryError(404/406) as DRF's negotiation does."""
    accepts = request.headers.getlist("accept")
    accept = ", ".join(accepts) if accepts else None
    return negotiate(suffix_of(request) or values.get("format"), accept)


def link_style(request: Request, root: str, values: Mapping[str, str]) -> LinkStyle:
    """How this request's urls are written: its ``?format=`` value and its suffix carried."""
    return LinkStyle(
        base=root + API_ROOT,
        format_param=values.get("format") if "format" in values else None,
        format_suffix=suffix_of(request),
    )


def full_path(request: Request) -> str:
    """The path and query string as Django's ``get_full_path`` shows them."""
    path = quote(request.scope.get("root_path", "") + request.scope["path"], safe=_PATH_SAFE)
    query = request.scope.get("query_string", b"").decode("latin-1")
    return path + ("?" + quote(query, safe=_QUERY_SAFE) if query else "")


def variant(request: Request, representation: Representation) -> Hashable:
    """What besides the data a body depends on: the page also shows the request line."""
    if representation.html:
        return (representation, request.method, full_path(request))
    return representation


def media_type(representation: Representation) -> str:
    """The answer's Content-Type."""
    return HTML_MEDIA_TYPE if representation.html else JSON_MEDIA_TYPE


def content(
    request: Request,
    representation: Representation,
    name: str,
    status: int,
    body: Any,
    *,
    shown: PageShape = DOCKING_PAGE,
) -> bytes:
    """The answer's bytes: the JSON, or the browsable page showing it (as ``shown`` says)."""
    if not representation.html:
        return json_bytes(body, representation.indent)
    page = Page(
        method=request.method,
        full_path=full_path(request),
        status=status,
        headers={**VIEW_HEADERS, "Allow": shown.allow, "Content-Type": JSON_MEDIA_TYPE},
        body=body,
        indent=representation.indent,
        name=name,
        list_path=f"{API_ROOT}/docking_event/",
        crumbs=shown.crumbs,
        description=shown.description,
    )
    return render_page(page)


def respond(
    request: Request,
    representation: Representation,
    name: str,
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    shown: PageShape = DOCKING_PAGE,
) -> Response:
    """An answer in the negotiated form with the view headers; HEAD keeps headers, drops body."""
    data = content(request, representation, name, status, body, shown=shown)
    head = request.method == "HEAD"
    response = Response(
        b"" if head else data,
        status_code=status,
        headers={
            **VIEW_HEADERS,
            "Allow": shown.allow,
            **(headers or {}),
            "Content-Type": media_type(representation),
        },
    )
    if head:
        response.headers["Content-Length"] = str(len(data))
    return response
