"""The mirror's listening socket, bound by the command line before the HTTP server starts.

Binding here rather than inside uvicorn turns a busy or unusable address into the one line every
command fails with (uvicorn would log ``ERROR: [Errno 98] …`` and exit 3, the code of stale
data), and leaves no gap between checking the address and serving on it.
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
    """A TCP socket listening on ``host:port`` (``SO_REUSEADDR`` set, as uvicorn does).

    Raises ServiceError naming the address and the fix when it cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
