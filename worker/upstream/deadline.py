"""One deadline for a whole HTTP exchange, from connect to the last byte of the answer.

httpx's timeouts bound each network operation (the connect, every read, every write, the wait
for a pooled connection), not the request: a server sending its answer a few bytes at a time,
each part within the read timeout, keeps a request alive indefinitely (encode/httpx#1450).
``send_within`` sends a request and reads its whole answer within the request's timeout (the
largest of the values httpx holds for it, so the client's ``timeout=t`` means t seconds in all):

- every operation's own timeout is capped at that total;
- a watchdog thread shuts the connection's socket down when the total is up, which wakes a read
  blocked on a trickling server. The socket is known from the connect (httpx's documented
  ``trace`` request extension) or, on a reused keep-alive connection, once the status line and
  headers are in (the ``network_stream`` response extension);
- an exchange that ran past its deadline raises ``DeadlineExceeded`` (an
  ``httpx.TimeoutException``: callers treating timeouts as transport failures need no change),
  whether the watchdog cut it or it finished a moment too late; its answer is dropped. A failed
  connect stays the connect error it is (the request never left).

Not covered: name resolution (the operating system's resolver takes no timeout).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx

# The trace events whose return value is the connection's network stream (httpcore's names).
_STREAM_EVENTS = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})

Trace = Callable[[str, dict[str, Any]], None]


class DeadlineExceeded(httpx.TimeoutException):
    """The exchange was not over, last byte included, within its deadline (seconds)."""

    def __init__(self, seconds: float, *, request: httpx.Request) -> None:
        super().__init__(f"no complete answer within {seconds:g} s", request=request)
        self.seconds = seconds


class _Watchdog:
    """Shuts the exchange's socket down once ``seconds`` have passed, unless finished first."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._finished = False
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def watch(self, stream: Any) -> None:
        """Guard the socket under an httpcore network stream (shut at once if already late)."""
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            late = self.fired
        if late:
            _shut(sock)

    def trace(self, chained: Trace | None) -> Trace:
        """An httpx ``trace`` callback watching each new connection, then calling ``chained``."""

        def trace(event: str, info: dict[str, Any]) -> None:
            if event in _STREAM_EVENTS:
                self.watch(info.get("return_value"))
            if chained is not None:
                chained(event, info)

        return trace

    def finish(self) -> bool:
        """Stop watching; True when the deadline was met (the watchdog had not fired)."""
        self._timer.cancel()
        with self._lock:
            self._finished = True
            return not self.fired

    def _fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: it wakes a blocked read without touching the
    # TLS object the reading thread is using. The connection is then dropped, never reused.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def total_seconds(request: httpx.Request) -> float | None:
    """The request's deadline: the largest of its per-operation timeouts (None: unbounded)."""
    timeouts = request.extensions.get("timeout") or {}
    values = [float(value) for value in timeouts.values() if value is not None]
    return max(values) if values else None


def send_within(
    http: httpx.Client, request: httpx.Request, seconds: float | None = None
) -> httpx.Response:
    """Send ``request`` on ``http`` and read the whole answer within ``seconds`` in all.

    ``seconds`` defaults to ``total_seconds(request)`` (the client's ``timeout`` for a request
    it built). Returns the answer with its body read. Raises ``DeadlineExceeded`` when the
    exchange ran past the deadline, and httpx's own errors for anything else that failed.
    """
    total = total_seconds(request) if seconds is None else seconds
    if total is None:
        return http.send(request)
    timeouts = request.extensions.get("timeout") or {}
    capped = {name: total if v is None else min(float(v), total) for name, v in timeouts.items()}
    watchdog = _Watchdog(total)
    request.extensions = {
        **request.extensions,
        "timeout": capped or httpx.Timeout(total).as_dict(),
        "trace": watchdog.trace(request.extensions.get("trace")),
    }
    watchdog.start()
    try:
        response = http.send(request, stream=True)
        try:
            watchdog.watch(response.extensions.get("network_stream"))
            response.read()
        finally:
            response.close()
    except httpx.TransportError as error:
        # A failed connect stays what it is: the request never left, whatever the clock says.
        if (
            not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
            and not watchdog.finish()
        ):
            raise DeadlineExceeded(total, request=request) from error
        raise
    finally:
        in_time = watchdog.finish()
    if not in_time:
        raise DeadlineExceeded(total, request=request)
    return response
