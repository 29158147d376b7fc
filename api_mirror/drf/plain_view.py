"""Views without a queryset (the API root, ``api-throttle``), answered as DRF's ``APIView`` does.

DRF's order of checks, as for the docking-event views: content negotiation first (a format no
renderer has is a 404 ``{"detail":"Not found."}``, an ``Accept`` nothing satisfies a 406, both
JSON), then the method. Unlike the docking-event views these keep DRF's default methods, as
upstream's ``api-throttle`` page shows (``Allow: GET, HEAD, OPTIONS``): GET answers the body,
HEAD the same headers without it (Django's ``View`` gives HEAD the GET handler), OPTIONS DRF's
``SimpleMetadata`` (``{"name", "description", "renders", "parses"}``), and any other method a
405 ``{"detail":"Method \\"POST\\" not allowed."}``. Every answer but the negotiation's errors is
in the negotiated form (JSON or the browsable page) and carries ``Allow`` and ``Vary: Accept``.
A CORS preflight (OPTIONS with ``Access-Control-Request-Method``) never gets here: the CORS
middleware answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf import suffixes
from api_mirror.drf.negotiation import RENDERERS
from api_mirror.drf.params import QueryError, last_values, parse_query_string
from api_mirror.drf.renderer import json_response

ALLOW = "GET, HEAD, OPTIONS"
# DRF's default parsers' media types (JSONParser, FormParser, MultiPartParser), as OPTIONS lists.
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]

# Builds the GET body from the request and its query values (the last value of each name).
Body = Callable[[Request, Mapping[str, str]], Any]


@dataclass(frozen=True, slots=True)
class PlainView:
    """One view: its name (DRF's ``get_view_name``, such as ``Api Root``), its description
    (the view's docstring, which OPTIONS and the page show) and the page's breadcrumbs."""

    name: str
    description: str
    crumbs: tuple[tuple[str, str], ...]

    @property
    def shape(self) -> suffixes.PageShape:
        """How the browsable page and the headers show this view."""
        return suffixes.PageShape(allow=ALLOW, crumbs=self.crumbs, description=self.description)

    def metadata(self) -> dict[str, Any]:
        """DRF's ``SimpleMetadata`` for the view: what OPTIONS answers."""
        return {
            "name": self.name,
            "description": self.description,
            "renders": [renderer.media_type for renderer in RENDERERS],
            "parses": PARSES,
        }


def answer(request: Request, view: PlainView, body: Body) -> Response:
    """The view's answer to ``request`` (see the module docstring for the order of checks)."""
    values = last_values(parse_query_string(request.scope.get("query_string", b"")))
    head = request.method == "HEAD"
    try:
        representation = suffixes.representation_of(request, values)
    except QueryError as error:
        # No renderer was chosen: DRF renders the error with its first one, JSON.
        return json_response(error.status, error.body, head=head, headers={"Allow": ALLOW})
    status = 200
    if request.method in ("GET", "HEAD"):
        content = body(request, values)
    elif request.method == "OPTIONS":
        content = view.metadata()
    else:
        status, content = 405, {"detail": f'Method "{request.method}" not allowed.'}
    return suffixes.respond(request, representation, view.name, status, content, shown=view.shape)
