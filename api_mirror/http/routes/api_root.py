"""``GET /2.2.0/`` (and its suffix form ``/2.2.0/.json``): upstream's API root on the mirror.

The listing is ``api_mirror.drf.api_root``'s; the view is answered as DRF's ``APIRootView``
(``api_mirror.drf.plain_view``: GET, HEAD and OPTIONS, any other method a 405).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf import suffixes
from api_mirror.drf.api_root import root_listing
from api_mirror.drf.plain_view import PlainView, answer
from api_mirror.drf.renderer import API_ROOT, request_root
from api_mirror.http.context import context_of
from models.ll2.render import LinkStyle

ROOT_PATH = f"{API_ROOT}/"
ROOT_SUFFIX_PATH = f"{API_ROOT}/{{format:drf_format_suffix}}"
ROOT_VIEW = PlainView(
    name="Api Root",
    # APIRootView's docstring, which its OPTIONS answer and page show.
    description="The default basic root view for DefaultRouter",
    crumbs=(("Api Root", ROOT_PATH),),
)


def _listing(request: Request, values: Mapping[str, str]) -> dict[str, str]:
    context = context_of(request)
    root = request_root(request, trust_proxy=context.trust_proxy)
    mirror = suffixes.link_style(request, root, values)
    upstream = LinkStyle(context.upstream_base, mirror.format_param, mirror.format_suffix)
    return root_listing(mirror, upstream)


def api_root(request: Request) -> Response:
    """Every upstream route's list url, the mirror's for what it serves (see ``drf.api_root``)."""
    return answer(request, ROOT_VIEW, _listing)
