"""HTTP responses written like upstream's framework writes them (DRF's JSONRenderer)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from models.support.compact_json import compact_json

API_ROOT = "/2.2.0"
# Headers upstream sends on every answer of the docking-event views.
VIEW_HEADERS = {"Vary": "Accept", "Allow": "GET"}


def json_text(body: Any, indent: int | None = None) -> str:
    """DRF's JSONRenderer: compact, or ``indent`` spaces with ``": "`` after keys.

    U+2028/U+2029 are escaped as DRF does (they break JavaScript).
    """
    if indent is None:
        text = compact_json(body)
    else:
        text = json.dumps(body, ensure_ascii=False, indent=indent, allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def json_bytes(body: Any, indent: int | None = None) -> bytes:
    """``json_text`` as UTF-8."""
    return json_text(body, indent).encode()


def json_response(
    status: int, body: Any, *, head: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with the view headers; a HEAD answer keeps the headers, drops the body."""
    content = json_bytes(body)
    response = Response(
        b"" if head else content,
        status_code=status,
        media_type="application/json",
        headers={**VIEW_HEADERS, **(headers or {})},
    )
    if head:
        response.headers["Content-Length"] = str(len(content))
    return response


def _first(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",")[0].strip()
    return first or None


def request_root(request: Request, *, trust_proxy: bool) -> str:
    """``scheme://host`` as the client addressed this server (proxy headers only if trusted)."""
    scheme = request.url.scheme
    host = request.headers.get("host") or _server_host(request)
    if trust_proxy:
        scheme = _first(request.headers.get("x-forwarded-proto")) or scheme
        host = _first(request.headers.get("x-forwarded-host")) or host
    return f"{scheme}://{host}"


def _server_host(request: Request) -> str:
    server = request.scope.get("server")
    if not server:
        return "localhost"
    host, port = server
    return f"{host}:{port}" if port else str(host)
