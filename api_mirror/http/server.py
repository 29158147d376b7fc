"""Run the mirror app with uvicorn (``dockwatch serve``, and through it ``dockwatch run``).

The caller binds the listening socket (so a busy port is its one-line error, never uvicorn's
log line and exit code); uvicorn serves on it until SIGINT or SIGTERM, then ``serve`` returns.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, *, log_level: str | None = None) -> uvicorn.Config:
    """uvicorn's configuration for serving ``app``: uvicorn logs through the process's own
    logging set-up (no handlers of its own); ``log_level`` (such as ``"warning"``) sets its
    loggers' level when given."""
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    return uvicorn.Config(app, log_config=None, log_level=log_level, proxy_headers=False)


class Terminated(Exception):
    """SIGTERM arrived: the server has shut down (or had not started); the caller cleans up."""


def _terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def serve(config: uvicorn.Config, listener: socket.socket) -> None:
    """Serve on ``listener`` (a bound, listening TCP socket) in the foreground until SIGINT or
    SIGTERM, then return normally, so the caller's clean-up (the database engine's disposal,
    which removes SQLite's -wal and -shm files) runs."""
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # uvicorn announces itself only when it binds; the socket already listens, so say it here.
    logging.getLogger(__name__).info("mirror serving on http://%s:%d", shown, port)
    # uvicorn shuts down gracefully on either signal, then re-raises it with the handler it
    # found: Ctrl-C's is KeyboardInterrupt, SIGTERM's default would end the process on the spot,
    # before any clean-up. So SIGTERM's handler raises Terminated instead; both are the normal end.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        with contextlib.suppress(KeyboardInterrupt, Terminated):
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
