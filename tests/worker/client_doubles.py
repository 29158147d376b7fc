"""Test doubles for the upstream client: a fake clock that sleeps, a scripted MockTransport."""

from __future__ import annotations

import httpx

from worker.upstream.client import build_http_client

BASE = "https://ll.example/2.2.0"
TOKEN = "tok-5ecret-0f-the-test"
START = 1_000_000.0
PAGE = {"count": 1, "next": None, "previous": None, "results": [{"id": 7}]}
EVENT = {"id": 7, "docking": "2024-01-01T00:00:00Z"}

Reply = httpx.Response | Exception


class FakeTime:
    """Clock and sleep in one: sleeping moves the clock, and every sleep is remembered."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Upstream:
    """A MockTransport handler answering with scripted replies (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [httpx.Response(200, json=PAGE)]
        self.requests: list[httpx.Request] = []

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


def http_client(upstream: Upstream, token: str | None = TOKEN, base: str = BASE) -> httpx.Client:
    """An httpx client built as the product builds it, answered by ``upstream``."""
    return build_http_client(base, token, timeout=5.0, transport=httpx.MockTransport(upstream))


def json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)
