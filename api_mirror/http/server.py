"""Run the mirror app with uvicorn (``dockwatch serve``, and through it ``dockwatch run``).

The caller binds the listening socket (so a busy port is its one-line error, never uvicorn's
log line and exit code); uvicorn serves on it until SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import socket

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, *, log_level: str | None = None) -> uvicorn.Config:
    """uvicorn's configuration for serving ``app``: uvicorn logs through the process's own
    logging set-up (no handlers of its own); ``log_level`` (such as ``"warning"``) sets its
    loggers' level when given."""
    # proxy_headers=False: forwarded headers are the app's decision (trust_proxy), not uvicorn's.
    return uvicorn.Config(app, log_config=None, log_level=log_level, proxy_headers=False)


def serve(config: uvicorn.Config, listener: socket.socket) -> None:
    """Serve on ``listener`` (a bound, listening TCP socket) in the foreground until stopped."""
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # uvicorn announces itself only when it binds; the socket already listens, so say it here.
    logging.getLogger(__name__).info("mirror serving on http://%s:%d", shown, port)
    # As uvicorn.run: the server stops on Ctrl-C, then re-raises it; that is the normal end.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])
