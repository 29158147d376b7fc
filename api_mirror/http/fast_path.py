"""The hot path: a GET the response cache can answer is answered before the framework runs.

Repeated requests (an app polling the same page) are most of the mirror's traffic. For them the
routing, the request object, the negotiation and the validation have already been done once in
this data version (only valid requests' answers are kept): ``FastPath`` looks the request up by
its raw key (``answer_key``) and sends the kept bytes, or a 304 when its validators match, and
counts it in the metrics. Anything else goes on to the app unchanged.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api_mirror.http.conditional import not_modified
from api_mirror.http.context import MirrorContext
from api_mirror.http.metrics import MirrorMetrics
from api_mirror.read.answer_cache import Answer, answer_key


class FastPath:
    """ASGI middleware answering response-cache hits (see the module docstring)."""

    def __init__(self, app: ASGIApp, context: MirrorContext, metrics: MirrorMetrics) -> None:
        self.app = app
        self.context = context
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            snapshot = self.context.snapshots.current
            if snapshot is not None:
                started = time.perf_counter()
                second = int(self.context.clock().timestamp())
                answer = self.context.cache.get(snapshot.version, answer_key(scope), second)
                if answer is not None:
                    status = await _send(scope, send, answer)
                    self.metrics.requests.labels(route=answer.route, status=str(status)).inc()
                    self.metrics.latency.labels(route=answer.route).observe(
                        time.perf_counter() - started
                    )
                    return
        await self.app(scope, receive, send)


async def _send(scope: Scope, send: Send, answer: Answer) -> int:
    headers = Headers(scope=scope)
    if not_modified(
        headers.get("if-none-match"),
        headers.get("if-modified-since"),
        etag=answer.etag,
        last_modified=answer.last_modified,
    ):
        await send(
            {"type": "http.response.start", "status": 304, "headers": answer.not_modified_headers}
        )
        await send({"type": "http.response.body", "body": b""})
        return 304
    await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.content})
    return 200
