"""``GET /2.2.0/api-throttle/`` (and ``/2.2.0/api-throttle.json``): upstream's quota check.

Upstream answers ``{"your_request_limit": 15, "limit_frequency_secs": 3600, "current_use": n,
"next_use_secs": s, "ident": "<client ip or key owner>"}`` (its browsable page:
``Allow: GET, HEAD, OPTIONS``), and clients read it before they poll: some stop, or switch to
the development server, when ``current_use`` reaches ``your_request_limit``. The mirror does
not throttle its clients, so it answers the same shape with values that let every client go
on: no limit worth counting against (``your_request_limit`` is the largest 32-bit integer, so
clients that type it as ``int`` still parse it), upstream's window of 3600 s, nothing used
(``current_use`` 0) and no wait (``next_use_secs`` 0); ``ident`` is the client's address as the
mirror sees it (the first ``X-Forwarded-For`` entry when proxy headers are trusted). The sync's
own upstream budget is another matter: ``/status`` reports it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf.plain_view import PlainView, answer
from api_mirror.drf.renderer import API_ROOT
from api_mirror.http.context import context_of

THROTTLE_PATH = f"{API_ROOT}/api-throttle/"
THROTTLE_SUFFIX_PATH = f"{API_ROOT}/api-throttle{{format:drf_format_suffix}}"
# What the mirror reports as its clients' limit: none (the largest value a 32-bit int holds).
NO_LIMIT = 2**31 - 1
# Upstream's window, kept so that clients dividing by it get a sane figure.
WINDOW_SECONDS = 3600
THROTTLE_VIEW = PlainView(
    # DRF's name for a viewset's list (upstream's docstring below); the class name is unseen.
    name="Api Throttle List",
    description=(
        "API endpoint that allows API Throttle information to be viewed.\n\n"
        "GET:\nReturns a range of information about your API access"
    ),
    crumbs=(("Api Root", f"{API_ROOT}/"), ("Api Throttle List", THROTTLE_PATH)),
)


def client_address(request: Request, *, trust_proxy: bool) -> str:
    """The client's address: the first ``X-Forwarded-For`` entry if trusted, else the peer's."""
    if trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client is not None else ""


def _quota(request: Request, _values: Mapping[str, str]) -> dict[str, int | str]:
    ident = client_address(request, trust_proxy=context_of(request).trust_proxy)
    return {
        "your_request_limit": NO_LIMIT,
        "limit_frequency_secs": WINDOW_SECONDS,
        "current_use": 0,
        "next_use_secs": 0,
        "ident": ident,
    }


def api_throttle(request: Request) -> Response:
    """Upstream's quota object with values that never hold a client back."""
    return answer(request, THROTTLE_VIEW, _quota)
