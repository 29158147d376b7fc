"""A real uvicorn server for an ASGI app, in a thread, listening before it is handed out.

It listens on the socket ``dockwatch serve`` listens on (``worker.cli.listener.bind_listener``),
so the tests and benchmarks using it see the keep-alive behaviour users get.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from worker.cli.listener import bind_listener

# Streams still open at shutdown (SSE clients) are cancelled after this long.
SHUTDOWN_GRACE_SECONDS = 3


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (an ephemeral port); yields its root URL, stops it on exit."""
    # Connections queue on the listening socket until uvicorn accepts them: no start-up wait.
    listener = bind_listener("127.0.0.1", 0)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
    if thread.is_alive():
        raise RuntimeError("the mirror server did not stop")
