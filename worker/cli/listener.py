"""The mirror's listening socket, bound by the command line before the HTTP server starts.

Binding here rather than inside uvicorn turns a busy or unusable address into the one line every
command fails with (uvicorn would log ``ERROR: [Errno 98] …`` and exit 3, the code of stale
data), and leaves no gap between checking the address and serving on it.

The socket is made with ``IPPROTO_TCP`` and ``TCP_NODELAY``: uvicorn writes an answer's head and
body separately, and with Nagle's algorithm on, the body of a small answer waits for the client's
delayed ACK (~40 ms on Linux) on every request after the first of a kept-alive connection.
asyncio turns Nagle off on the connections it accepts only when the listener's protocol says TCP
(a socket made with protocol 0 does not), and Linux hands the listener's ``TCP_NODELAY`` to each
accepted connection, so either alone would do; both keep any server on this socket fast.
"""

from __future__ import annotations

import errno
import socket

import click

from worker.bootstrap import ServiceError

# uvicorn's default backlog: connections queue here until the server accepts them.
BACKLOG = 2048
# A TCP port a user can name; anything else is a usage error (exit 2), never a traceback.
PORT = click.IntRange(1, 65535)


def bind_listener(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (``SO_REUSEADDR`` set, as uvicorn does, and
    ``TCP_NODELAY``, which its accepted connections keep); port 0 picks a free one.

    Raises ServiceError naming the address and the fix when it cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        busy = error.errno == errno.EADDRINUSE
        fix = "Stop what uses that port or pass --port." if busy else "Check --host and --port."
        raise ServiceError(
            f"cannot serve the mirror on {host}:{port}: {error.strerror or error}. {fix}"
        ) from None
    return listener


def check_port(host: str, port: int) -> None:
    """Raise ServiceError when the mirror's address cannot be bound right now."""
    bind_listener(host, port).close()
