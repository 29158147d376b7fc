"""Mirror: requests/s and p50/p99 through a real uvicorn server, against the floor.

10,000 generated events are stored (``apply_page``) on SQLite and on PostgreSQL; the mirror runs
as ``dockwatch serve`` would (uvicorn, one process) in a child on 127.0.0.1, and
``benchmarks.loadgen`` loads it from this process with concurrent keep-alive connections, for a
bounded time and count per scenario: list (normal), list (detailed), list (filtered), list
(ordered), all ``limit=100``, and detail. Each scenario cycles through a pool of distinct URLs (many
distinct URLs, so the mirror's per-second response cache rarely helps; the last scenario repeats
one URL to show that cache). The
floor is a bare ASGI app under the same uvicorn settings answering the same URLs with the bytes
the mirror produced, captured beforehand.

    python -m benchmarks.mirror [--quick] [--events 10000] [--seconds 4] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import pickle
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlmodel import SQLModel

from benchmarks.databases import parse_kinds, scratch_url
from benchmarks.figures import summary
from benchmarks.loadgen import HOST, LoadResult, run_load
from benchmarks.mirror_server import Responses
from fake_upstream import DEFAULT_NOW, Event, generate_history
from models.db import make_engine, session_scope
from worker.sync.store import apply_page

LIST = "/2.2.0/docking_event/"
START_TIMEOUT = 30.0


def scenarios(events: list[Event], pool: int) -> dict[str, list[str]]:
    """URL pools per scenario: up to ``pool`` distinct URLs each (one for the cached one)."""
    last = max(10, len(events) - 100)
    offsets = list(range(0, last, 10))[:pool]
    filtered = [
        f"{LIST}?docking__gte={year}-01-01T00:00:00Z&limit=100&offset={offset}&space_station__id=4"
        for offset in range(0, 210, 10)
        for year in range(1999, 2021)
    ]
    ids = [event["id"] for event in events]
    step = max(1, len(ids) // pool)
    return {
        "list normal": [f"{LIST}?limit=100&offset={o}" for o in offsets],
        "list detailed": [f"{LIST}?limit=100&mode=detailed&offset={o}" for o in offsets],
        "list filtered": filtered[:pool],
        "list ordered": [f"{LIST}?limit=100&offset={o}&ordering=-docking" for o in offsets],
        "detail": [f"{LIST}{ident}/" for ident in ids[::step]][:pool],
        "list detailed, 1 URL": [f"{LIST}?limit=100&mode=detailed&offset=5000"],
    }


def fill(url: str, count: int) -> list[Event]:
    """Store ``count`` generated events at ``url``; returns them."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    events = generate_history(n_events=count, n_open=40, seed=11)
    for start in range(0, len(events), 100):
        with session_scope(engine) as session:
            apply_page(session, events[start : start + 100], now=DEFAULT_NOW)
    engine.dispose()
    return events


@contextmanager
def server(role: str, argument: str) -> Iterator[int]:
    """A ``benchmarks.mirror_server`` child; yields its port, terminates it afterwards."""
    command = [sys.executable, "-m", "benchmarks.mirror_server", role, argument]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], START_TIMEOUT)
        line = child.stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            raise SystemExit(f"the {role} server did not start")
        port = int(line.split()[1])
        _wait_ready(port)
        yield port
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_ready(port: int) -> None:
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=START_TIMEOUT) as client:
        client.get("/healthz")


def capture(port: int, pools: dict[str, list[str]], kinds: int) -> Responses:
    """The mirror's answers for the floor: ``kinds`` captured per scenario, shared round-robin
    by all the scenario's URLs (the floor's cost depends on the size, not on which page)."""
    kept = ("content-type", "etag", "last-modified", "vary", "allow")
    responses: Responses = {}
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as client:
        for urls in pools.values():
            captured = []
            for url in urls[:kinds]:
                answer = client.get(url)
                if answer.status_code != 200:
                    raise SystemExit(f"the mirror answered {answer.status_code} for {url}")
                headers = [(k.encode(), v.encode()) for k, v in answer.headers.items() if k in kept]
                captured.append((200, headers, answer.content))
            for index, url in enumerate(urls):
                responses[url] = captured[index % len(captured)]
    return responses


def load_all(
    port: int, pools: dict[str, list[str]], args: argparse.Namespace
) -> dict[str, LoadResult]:
    """Every scenario against one server."""
    return {
        name: run_load(
            port,
            urls,
            concurrency=args.concurrency,
            seconds=args.seconds,
            warmup=args.warmup,
            max_requests=args.max_requests,
        )
        for name, urls in pools.items()
    }


def _line(label: str, result: LoadResult) -> str:
    size = result.body_bytes / len(result.latencies) / 1024 if result.latencies else 0.0
    return (
        f"{label:<32} {result.rate:8.1f} req/s  p50 {result.p50_ms:7.2f} ms  p99 "
        f"{result.p99_ms:7.2f} ms  ({len(result.latencies)} ok, {result.errors} errors, "
        f"{size:.0f} KiB)"
    )


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 events, SQLite, 0.5 s each")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--pool", type=int, default=1000, help="distinct URLs per scenario")
    args = parser.parse_args(argv)
    kinds = parse_kinds(args.dbs)
    if args.quick:
        args.events, args.seconds, args.warmup, args.pool, kinds = 300, 0.5, 0.1, 3, ["sqlite"]
    print(
        f"mirror: {args.events:,} events; uvicorn child on {HOST}, {args.concurrency} keep-alive "
        f"connections, {args.seconds:g} s per run after {args.warmup:g} s warm-up"
    )
    mirror: dict[str, dict[str, LoadResult]] = {}
    floor: dict[str, LoadResult] = {}
    with tempfile.TemporaryDirectory(prefix="dwbench-mirror-") as tmp:
        bodies = Path(tmp) / "responses.pickle"
        for kind in kinds:
            with scratch_url(kind) as url:
                events = fill(url, args.events)
                pools = scenarios(events, args.pool)
                with server("mirror", url) as port:
                    if not bodies.exists():
                        bodies.write_bytes(pickle.dumps(capture(port, pools, 10)))
                    mirror[kind] = load_all(port, pools, args)
            for name, result in mirror[kind].items():
                print(f"  {_line(f'{kind} {name}', result)}")
        with server("floor", str(bodies)) as port:
            floor = load_all(port, pools, args)
    worst = ("", 0.0)
    for name, result in floor.items():
        print(f"  {_line(f'floor {name}', result)}")
    print("  ratio floor/mirror (throughput; p50 mirror/floor):")
    for kind, results in mirror.items():
        for name, result in results.items():
            base = floor[name]
            slower = base.rate / result.rate if result.rate else float("inf")
            p50 = result.p50_ms / base.p50_ms if base.p50_ms else float("inf")
            print(f"    {kind:<10} {name:<20} x{slower:5.1f} throughput, x{p50:5.1f} p50")
            if slower > worst[1]:
                worst = (f"{kind} {name}", slower)
    rates = ", ".join(
        f"{kind} {name.split()[-1]} {result.rate:.0f}"
        for kind, results in mirror.items()
        for name, result in results.items()
    )
    return summary(
        "mirror",
        f"req/s {rates}; worst floor/mirror x{worst[1]:.1f} ({worst[0]}) (target: within x2)",
    )


if __name__ == "__main__":
    main()
