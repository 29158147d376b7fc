"""In-process mirror benchmark: a detailed ``limit=100`` page over 10,000 stored events.

Prints p50/p99 latency and requests/s for the mirror's list route, for the query + serialization
layers alone, and for a route returning the same 100 rows as pre-serialized bytes (the floor the
HTTP stack allows), with the ratios. Requests go through the ASGI app in this process (httpx's
ASGITransport), sequentially. Figures only, no asserts.

    .venv/bin/python benchmarks/mirror_inprocess.py [--events 10000] [--requests 300]
        [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from api_mirror.read.query import query_events  # noqa: E402
from fake_upstream import DEFAULT_NOW, generate_history  # noqa: E402
from harness.mirror_app import mirror_app  # noqa: E402
from models.ll2.render import LinkStyle, serialize_events  # noqa: E402
from models.store.db import make_engine  # noqa: E402
from worker.sync.store import apply_page  # noqa: E402

PAGE = "/2.2.0/docking_event/?mode=detailed&limit=100&offset=5000&ordering=-docking"


def _figures(name: str, seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    rate = len(ordered) / sum(ordered)
    print(f"{name:<34} p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms   {rate:8.1f} req/s")
    return p50, rate


async def _measure(call: Callable[[], Awaitable[None]], count: int) -> list[float]:
    for _ in range(min(20, count)):  # warm-up: caches, pools, compiled statements
        await call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - started)
    return timings


async def _run(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    events = generate_history(n_events=args.events, n_open=40, seed=11)
    with Session(engine) as session:
        for start in range(0, len(events), 100):
            apply_page(session, events[start : start + 100], now=DEFAULT_NOW)
        session.commit()
    print(f"{args.events} events on {engine.dialect.name}; page: {PAGE}")

    app = mirror_app(engine, clock=lambda: DEFAULT_NOW + dt.timedelta(hours=1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        body = (await client.get(PAGE)).content

        async def mirror() -> None:
            response = await client.get(PAGE)
            assert response.status_code == 200

        mirror_p50, mirror_rate = _figures(
            "mirror list route", await _measure(mirror, args.requests)
        )

    params = [("mode", "detailed"), ("limit", "100"), ("offset", "5000"), ("ordering", "-docking")]

    async def layers() -> None:
        with Session(engine) as session:
            page = query_events(session, params)
        serialize_events(page.graphs, mode="detailed", links=LinkStyle("http://bench/2.2.0"),
                         now=DEFAULT_NOW)  # fmt: skip

    _figures("query + serialize (no HTTP)", await _measure(layers, args.requests))

    async def prebuilt(_: Request) -> Response:
        return Response(body, media_type="application/json")

    floor_app = Starlette(routes=[Route("/2.2.0/docking_event/", prebuilt)])
    transport = httpx.ASGITransport(app=floor_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def floor() -> None:
            await client.get(PAGE)

        floor_p50, floor_rate = _figures(
            "pre-serialized bytes", await _measure(floor, args.requests)
        )
    print(
        f"ratio mirror/pre-serialized: p50 x{mirror_p50 / floor_p50:.1f}, "
        f"throughput x{floor_rate / mirror_rate:.1f} lower ({len(body)} bytes per page)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
