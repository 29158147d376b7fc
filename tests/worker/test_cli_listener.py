"""The mirror's listener as ``dockwatch serve`` serves on it: no Nagle delay on kept-alive answers.

uvicorn writes an answer's head and body in separate writes; with Nagle's algorithm on, the
second small write waits for the client's delayed ACK (~40 ms on Linux) on every request after
the first one of a kept-alive connection. The tests read the option off the server's side of the
accepted connection, where the delay happens.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from worker.cli.listener import bind_listener


async def tiny_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers every request with ``ok`` (lifespan is off)."""
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def served(listener: socket.socket) -> Iterator[uvicorn.Server]:
    """uvicorn on ``listener`` in a thread, called as ``api_mirror.http.server.serve`` calls it."""
    config = uvicorn.Config(tiny_app, log_level="warning", proxy_headers=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def ask(client: socket.socket) -> bytes:
    """One kept-alive request; returns the answer once its whole body has arrived."""
    client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while not answer.endswith(b"\r\n\r\nok"):
        chunk = client.recv(4096)
        if not chunk:
            raise AssertionError(f"the server closed the connection after {answer!r}")
        answer += chunk
    return answer


def server_side_nodelay(server: uvicorn.Server) -> list[int]:
    """TCP_NODELAY of each connection the server holds open, read on the server's socket."""
    return [
        connection.transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY
        )
        for connection in list(server.server_state.connections)
    ]


def test_connections_accepted_on_the_mirror_listener_have_nagle_off() -> None:
    listener = bind_listener("127.0.0.1", 0)
    with served(listener) as server, socket.create_connection(listener.getsockname()) as client:
        first, second = ask(client), ask(client)  # the same connection, kept alive
        nodelay = server_side_nodelay(server)

    assert first.startswith(b"HTTP/1.1 200 ")
    assert second.startswith(b"HTTP/1.1 200 ")
    assert len(nodelay) == 1
    assert nodelay[0] != 0


def test_the_mirror_listener_is_a_tcp_socket_with_nagle_off() -> None:
    # Connections inherit the listener's TCP_NODELAY on Linux; asyncio sets it again only on
    # sockets whose protocol says TCP.
    with bind_listener("127.0.0.1", 0) as listener:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
