"""CORS for a public read-only API: browser apps on other origins may read every answer.

``Cors`` wraps the whole app (outside even the framework's error handling), so every answer
carries it: the docking-event pages, the cached ones the fast path sends, 304s, errors,
``/events``, the live page, ``/metrics``, ``/openapi.json``.

- ``origins == ("*",)`` (the default): every answer carries ``Access-Control-Allow-Origin: *``
  whether or not the request named an origin, so a shared cache's copy serves every origin, and
  no header the mirror copies from upstream changes (``Vary`` stays ``Accept``).
- A list of origins: an answer to a request whose ``Origin`` is listed carries that origin; the
  others carry none. Every answer then adds ``Origin`` to its ``Vary``, since it depends on it.
- ``Access-Control-Expose-Headers: ETag, Allow`` lets scripts read the validator (for their
  conditional requests) and the methods.
- A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here, never by
  the routes (whose OPTIONS is upstream's 405 or DRF's metadata): 204 with the origin as
  above, ``Access-Control-Allow-Methods: GET, HEAD, OPTIONS``, the requested headers allowed
  (``Access-Control-Allow-Headers`` repeats them), ``Access-Control-Max-Age: 86400``, and
  ``Access-Control-Allow-Private-Network: true`` when asked, since a mirror often runs on a
  private network for apps served from a public one. A method or origin not allowed is left
  for the browser to refuse (the answer omits it), as the CORS protocol intends.

Without credentials: the mirror has no cookies or logins, so ``*`` is always enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ANY_ORIGIN = "*"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
EXPOSED_HEADERS = "ETag, Allow"
PREFLIGHT_MAX_AGE_SECONDS = 86_400
_ALLOW_ORIGIN = b"access-control-allow-origin"
_EXPOSE = (b"access-control-expose-headers", EXPOSED_HEADERS.encode("latin-1"))


class Cors:
    """ASGI middleware adding CORS headers to every answer and answering preflights.

    ``origins`` is ``("*",)`` or exact origins (``https://app.example.com``, as browsers send
    them: scheme, host and a non-default port, no slash); they arrive validated.
    """

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.any_origin = ANY_ORIGIN in origins
        self.origins = frozenset(origins)
        self._any_headers = [_EXPOSE, (_ALLOW_ORIGIN, ANY_ORIGIN.encode("latin-1"))]

    def _allowed(self, headers: Headers) -> str | None:
        if self.any_origin:
            return ANY_ORIGIN
        origin = headers.get("origin")
        return origin if origin in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "access-control-request-method" in headers:
                await self._preflight(headers, send)
                return
        # With any origin allowed, the request's headers need no reading (the fast path's hits).
        if self.any_origin:
            added = self._any_headers
        else:
            origin = Headers(scope=scope).get("origin")
            added = [_EXPOSE]
            if origin is not None and origin in self.origins:
                added.append((_ALLOW_ORIGIN, origin.encode("latin-1")))
        vary_origin = not self.any_origin

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [*message.get("headers", []), *added]
                if vary_origin:
                    raw = _vary_on_origin(raw)
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(self, headers: Headers, send: Send) -> None:
        raw = [
            (b"access-control-allow-methods", ALLOWED_METHODS.encode("latin-1")),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode("latin-1")),
            (b"vary", b"Origin, Access-Control-Request-Headers"),
        ]
        allowed = self._allowed(headers)
        if allowed is not None:
            raw.append((_ALLOW_ORIGIN, allowed.encode("latin-1")))
        requested = headers.get("access-control-request-headers")
        if requested:
            raw.append((b"access-control-allow-headers", requested.encode("latin-1")))
        if headers.get("access-control-request-private-network") == "true":
            raw.append((b"access-control-allow-private-network", b"true"))
        await send({"type": "http.response.start", "status": 204, "headers": raw})
        await send({"type": "http.response.body", "body": b""})


def _vary_on_origin(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``raw`` with ``Origin`` added to its ``Vary`` header (or a ``Vary: Origin`` of its own)."""
    for index, (name, value) in enumerate(raw):
        if name.lower() == b"vary":
            raw[index] = (name, value + b", Origin")
            return raw
    raw.append((b"vary", b"Origin"))
    return raw
