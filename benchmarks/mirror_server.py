"""A uvicorn server child for the mirror benchmark: the mirror, the floor or the DRF reference.

``python -m benchmarks.mirror_server mirror DATABASE_URL [CACHE_MIB]`` serves ``create_app`` on
that database, as ``dockwatch serve`` does (its template cache capped at ``CACHE_MIB``, by
default at the default cap);
``python -m benchmarks.mirror_server floor RESPONSES_FILE`` serves the same answers as
pre-serialized bytes from a dict (a bare ASGI app: no routing, no query, no serialization);
``python -m benchmarks.mirror_server drf SQLITE_PATH`` serves the DRF reference (Django's WSGI
handler through ``a2wsgi``) on that SQLite file. All bind 127.0.0.1 on an ephemeral port, print
``PORT <n>`` and serve with the same uvicorn settings (the mirror's ``serve()`` ones, access log
off) until terminated.
"""

from __future__ import annotations

import pickle
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

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


def build(role: str, argument: str, cache_mib: str | None = None) -> Any:
    """The ASGI app for ``role``."""
    if role == "floor":
        responses: Responses = pickle.loads(Path(argument).read_bytes())
        return floor_app(responses)
    if role == "drf":
        from a2wsgi import WSGIMiddleware

        from benchmarks.drf_reference import wsgi_application

        return WSGIMiddleware(wsgi_application(argument))
    from harness.mirror_app import mirror_app
    from models.store.db import make_engine

    cap = {"cache_bytes": int(cache_mib) * 1024 * 1024} if cache_mib else {}
    return mirror_app(make_engine(argument), **cap)


def main() -> None:
    """Bind, announce the port, serve."""
    role, argument = sys.argv[1], sys.argv[2]
    app = build(role, argument, *sys.argv[3:4])
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it Nagle + delayed ACK add 40 ms to every small answer.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listening before the port is announced: connections queue until uvicorn accepts them.
    sock.listen(2048)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
