"""A real HTTP webhook receiver on 127.0.0.1 for tests and benchmarks.

It answers each POST with the next scripted ``(status, headers)`` (200 once the script is
spent) or ``Dribble`` (a whole answer, status line included, sent a few bytes at a time), keeps
every request it got (headers lower-cased, body bytes, ``time.perf_counter()`` of arrival) and
lets a caller wait, with a deadline, until some number of requests arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Dribble:
    """A 200 answer sent in ``parts`` writes (status line, headers and body alike), waiting
    ``interval`` seconds before each: every write arrives within a read timeout, the whole
    answer only after ``parts * interval`` seconds."""

    parts: int = 20
    interval: float = 0.2

    def raw(self) -> bytes:
        body = b"accepted, eventually"
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    headers: dict[str, str]
    body: bytes
    arrived: float


class WebhookReceiver:
    """A scripted endpoint; use as a context manager (starts and stops its server thread)."""

    def __init__(self, script: Iterable[int | tuple[int, dict[str, str]] | Dribble] = ()) -> None:
        self.script: list[tuple[int, dict[str, str]] | Dribble] = [
            (item, {}) if isinstance(item, int) else item for item in script
        ]
        self.received: list[Received] = []
        self.condition = threading.Condition()
        self.stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                with receiver.condition:
                    receiver.received.append(Received(headers, body, time.perf_counter()))
                    answer = receiver.script.pop(0) if receiver.script else (200, {})
                    receiver.condition.notify_all()
                if isinstance(answer, Dribble):
                    self._dribble(answer)
                    return
                status, extra = answer
                self.send_response(status)
                for name, value in {"content-length": "0", **extra}.items():
                    self.send_header(name, value)
                self.end_headers()

            def _dribble(self, answer: Dribble) -> None:
                self.close_connection = True
                raw = answer.raw()
                size = -(-len(raw) // answer.parts)
                try:
                    for start in range(0, len(raw), size):
                        if receiver.stopping.wait(answer.interval):
                            return
                        self.wfile.write(raw[start : start + size])
                except OSError:
                    pass  # the client gave up: what the dribble is for

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The requests once at least ``count`` arrived; raises TimeoutError at the deadline."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} webhook requests arrived")
            return list(self.received)

    def ids(self) -> list[str]:
        """The ``webhook-id`` of every request so far, in arrival order."""
        with self.condition:
            return [request.headers["webhook-id"] for request in self.received]
