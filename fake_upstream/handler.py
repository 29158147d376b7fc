"""The fake upstream's socket side: a threading HTTP/1.1 server and its request handler.

Every method, known or not, goes through one handler, which drops any request body (a chunked
one closes the connection), asks ``FakeUpstream.handle`` for the answer, logs the request, then
sends the answer or misbehaves on the socket as its fault says (close, reset, a body cut short
or sent in parts).
``FakeHTTPServer`` tracks the open connections, so stopping the fake ends keep-alive ones too.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from fake_upstream.filtering import parse_query
from fake_upstream.log import RequestRecord
from fake_upstream.serializers import Response

if TYPE_CHECKING:
    from fake_upstream.server import FakeUpstream


class FakeHTTPServer(ThreadingHTTPServer):
    """One thread per connection, tracking the open connections so ``stop`` can end them."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[FakeRequestHandler], fake: FakeUpstream
    ) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        """Shut down every open connection (their threads then end)."""
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up are normal here; stay quiet."""


class FakeRequestHandler(BaseHTTPRequestHandler):
    """Serves one connection's requests through ``FakeUpstream.handle``."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own request log."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method, known or not, goes through one handler
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        self._drain_body()
        fake = self.server.fake
        method = self.command.upper()
        headers = dict(self.headers.items())
        response = fake.handle(method, self.path, headers)
        if response.delay:
            fake._stopping.wait(response.delay)
        path, _, raw_query = self.path.partition("?")
        fake.log.append(
            RequestRecord(
                method=method,
                path=path,
                query=tuple(parse_query(raw_query)),
                headers=headers,
                status=None if response.action in ("close", "reset") else response.status,
                at=fake.now,
                route=response.route,
                fault=response.fault,
            )
        )
        self._send(method, response)

    def _drain_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
        elif self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _send(self, method: str, response: Response) -> None:
        if response.action in ("close", "reset"):
            self.close_connection = True
            if response.action == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.close()
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method == "HEAD":
            return
        if response.action == "partial":
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if response.parts > 1:
            self._dribble(response)
            return
        self.wfile.write(response.body)

    def _dribble(self, response: Response) -> None:
        """The body in ``response.parts`` writes, waiting ``response.interval`` before each."""
        self.wfile.flush()  # the status line and headers go out at once
        size = -(-len(response.body) // response.parts)
        stopping = self.server.fake._stopping
        for start in range(0, len(response.body), size):
            if stopping.wait(response.interval):
                self.close_connection = True
                return
            self.wfile.write(response.body[start : start + size])
            self.wfile.flush()
