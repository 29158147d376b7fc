"""A uvicorn server child for the mirror benchmark: the mirror, the floor or the DRF reference.

``python -m benchmarks.mirror_server mirror DATABASE_URL [CACHE_MIB]`` serves the mirror on that
database through ``api_mirror.http.server.serve``, the function ``dockwatch serve`` calls (its
template cache capped at ``CACHE_MIB``, by default at the default cap; no Redis: the mirror
checks the data version on its own);
``python -m benchmarks.mirror_server floor RESPONSES_FILE`` serves the same answers as
pre-serialized bytes from a dict (a bare ASGI app: no routing, no query, no serialization);
``python -m benchmarks.mirror_server drf SQLITE_PATH`` serves the DRF reference (Django's WSGI
handler through ``a2wsgi``) on that SQLite file. All listen on the socket ``dockwatch serve``
listens on (``worker.cli.listener.bind_listener``, 127.0.0.1, an ephemeral port), print
``PORT <n>`` and serve with the same uvicorn settings (the mirror's ``serve()`` ones, logging
warnings only, so no access log) until terminated.
"""

from __future__ import annotations

import pickle
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from worker.cli.listener import bind_listener

# path?query -> (status, headers, body), as captured from the mirror.
Responses = dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]]
NOT_FOUND = (404, [(b"content-type", b"application/json")], b'{"detail":"Not found."}')


def floor_app(responses: Responses) -> Any:
    """An ASGI app answering each known ``path?query`` with its stored bytes."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        query = scope["query_string"].decode()
        key = f"{scope['path']}?{query}" if query else scope["path"]
        status, headers, body = responses.get(key, NOT_FOUND)
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def build(role: str, argument: str) -> Any:
    """The ASGI app of the floor or the DRF reference."""
    if role == "floor":
        responses: Responses = pickle.loads(Path(argument).read_bytes())
        return floor_app(responses)
    from a2wsgi import WSGIMiddleware

    from benchmarks.drf_reference import wsgi_application

    return WSGIMiddleware(wsgi_application(argument))


def run_mirror(listener: socket.socket, database_url: str, cache_mib: str | None) -> None:
    """The mirror on ``listener``, built through the bootstrap and served as ``dockwatch serve``
    serves it."""
    from api_mirror.http.server import serve, server_config
    from harness.mirror_app import mirror_app
    from models.store.db import make_engine

    cap = {"cache_bytes": int(cache_mib) * 1024 * 1024} if cache_mib else {}
    app = mirror_app(make_engine(database_url), **cap)
    serve(server_config(app, log_level="warning"), listener)


def main() -> None:
    """Bind, announce the port, serve."""
    role, argument = sys.argv[1], sys.argv[2]
    app = None if role == "mirror" else build(role, argument)
    # Listening before the port is announced: connections queue until uvicorn accepts them.
    listener = bind_listener("127.0.0.1", 0)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    if app is None:
        cache_mib = sys.argv[3] if len(sys.argv) > 3 else None
        run_mirror(listener, argument, cache_mib)
        return
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
