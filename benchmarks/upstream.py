"""The fake upstream as the freshness benchmark uses it: metered, and reached without sockets.

``MeteredUpstream`` is ``FakeUpstream`` enforcing LL2's own limit itself: more than ``limit``
requests in any sliding hour (by the fake's clock) get 429 + ``Retry-After``, as DRF's throttle
does (only accepted requests count). ``InProcessTransport`` hands each httpx request straight to
``FakeUpstream.handle``: in simulated time the fake's socket server only costs wall time (about
40 ms a request from Nagle + delayed ACK on its separate header and body writes).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime

import httpx

from fake_upstream import Event, FakeUpstream, Response, dumps
from harness.sync_rig import SyncHarness
from worker.sync.cycle import SyncCycle
from worker.upstream.client import UpstreamClient, build_http_client

WINDOW_SECONDS = 3600.0


class MeteredUpstream(FakeUpstream):
    """A fake upstream answering 429 beyond ``limit`` accepted requests per sliding hour."""

    def __init__(self, events: Iterable[Event], *, limit_per_hour: int, now: datetime) -> None:
        super().__init__(events, now=now)
        self.limit = limit_per_hour
        self.accepted_at: list[float] = []  # every accepted request, by the fake's clock
        self.throttled = 0
        self._window: deque[float] = deque()

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """``FakeUpstream.handle`` behind a sliding-window throttle."""
        now = self.now.timestamp()
        while self._window and self._window[0] <= now - WINDOW_SECONDS:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.throttled += 1
            wait = max(1, math.ceil(self._window[0] + WINDOW_SECONDS - now))
            detail = f"Request was throttled. Expected available in {wait} seconds."
            body = dumps({"detail": detail})
            headers_out = [("Content-Type", "application/json"), ("Retry-After", str(wait))]
            return Response(429, body, headers_out)
        self._window.append(now)
        self.accepted_at.append(now)
        return super().handle(method, target, headers)

    def max_in_any_hour(self) -> int:
        """The most accepted requests in any sliding hour so far."""
        times, best, first = self.accepted_at, 0, 0
        for last, at in enumerate(times):
            while times[first] <= at - WINDOW_SECONDS:
                first += 1
            best = max(best, last - first + 1)
        return best


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport answering from ``FakeUpstream.handle`` in this thread."""

    def __init__(self, fake: FakeUpstream) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The fake's answer to ``request``."""
        target = request.url.raw_path.decode("ascii")
        answer = self.fake.handle(request.method, target, dict(request.headers))
        return httpx.Response(
            answer.status, headers=answer.headers, content=answer.body, request=request
        )


def use_in_process_transport(harness: SyncHarness, *, max_attempts: int = 3) -> None:
    """Re-point a harness (built on a started fake) at the fake without sockets."""
    harness.client.close()
    http = build_http_client(
        harness.fake.base_url + "/", None, 5.0, transport=InProcessTransport(harness.fake)
    )
    harness.client = harness.runtime.client = UpstreamClient(
        http,
        harness.budget,
        max_attempts=max_attempts,
        max_wait=5.0,
        sleep=harness.sleeps.append,
        clock=lambda: harness.now.timestamp(),
    )
    harness.sync = SyncCycle(harness.sync.uow, harness.client, harness.budget)
