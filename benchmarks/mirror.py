"""Mirror: the read path against its floor and the DRF reference, side by side in one run.

10,000 generated events are stored (``apply_page``) in one SQLite file. Three servers run as
children under the same uvicorn settings, one process each, on 127.0.0.1, each on the listening
socket ``dockwatch serve`` makes (``worker.cli.listener``): the mirror as ``dockwatch serve``
runs it, the DRF reference (``benchmarks.drf_reference``: Django + DRF + django-filter over the
same file, as upstream implements the endpoint) and the floor (a bare
ASGI app answering each URL with bytes the mirror produced, captured beforehand: no routing, no
query, no serialization). Each route is loaded on the three servers back to back with 8
keep-alive connections (``wrk -t2 -c8`` when installed, else ``benchmarks.loadgen``) and the
ratios of the issue's targets are printed: mirror ÷ DRF (throughput), floor ÷ mirror
(throughput) and the p99s. The mirror is also measured on PostgreSQL (the same events) against
the same floor and reference (``--dbs sqlite`` skips it). Then the routes a single client walks
(detail ``/615/``, ``?limit=10``, the normal list at ``limit=100``, the hot detailed page) are
asked on one keep-alive connection, one request after another, as a browser, a
``requests.Session`` or an ``httpx.Client`` asks them: the median and p99 per server show any
per-answer stall (Nagle's algorithm left on adds ~40 ms to each small answer) that 8 busy
connections hide. Figures only, never asserted.

    python -m benchmarks.mirror [--quick] [--events 10000] [--seconds 4] [--dbs sqlite,postgresql]
                                [--keepalive-seconds 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import random
import select
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlmodel import SQLModel

from benchmarks import wrk
from benchmarks.databases import parse_kinds, scratch_url
from benchmarks.figures import summary
from benchmarks.loadgen import HOST, run_load
from benchmarks.mirror_server import Responses
from fake_upstream import DEFAULT_NOW, Event, generate_history
from models.store.db import make_engine, session_scope
from worker.sync.store import apply_page

LIST = "/2.2.0/docking_event/"
START_TIMEOUT = 60.0
DRF_MODULES = ("django", "rest_framework", "django_filters", "a2wsgi")


@dataclass(frozen=True)
class Route:
    """One row of the table: its URL pool and the issue's targets (None: no target);
    ``keepalive``: also asked on one keep-alive connection, with that target for the mirror's
    median (ms, None: no target)."""

    name: str
    urls: Callable[[list[Event]], list[str]]
    min_vs_drf: float | None = None
    max_floor_ratio: float | None = None
    max_p99_vs_floor: float | None = None
    keepalive: bool = False
    max_keepalive_median_ms: float | None = None


def _distinct_pages(events: list[Event]) -> list[str]:
    offsets = list(range(0, max(10, len(events) - 100), 10))
    random.Random(5).shuffle(offsets)
    return [f"{LIST}?limit=100&mode=detailed&offset={o}" for o in offsets[:1000]]


def _distinct_details(events: list[Event]) -> list[str]:
    ids = [event["id"] for event in events]
    random.Random(6).shuffle(ids)
    return [f"{LIST}{ident}/" for ident in ids[:1000]]


def _filtered_pages(events: list[Event]) -> list[str]:
    return [
        f"{LIST}?docking__gte={year}-01-01T00:00:00Z&limit=100&offset={offset}"
        f"&ordering=-docking&search=a&space_station__id=4"
        for offset in range(0, 300, 10)
        for year in range(1999, 2021)
    ]


ROUTES = (
    Route(
        "same detailed page",
        lambda _: [f"{LIST}?limit=100&mode=detailed&ordering=-docking"],
        min_vs_drf=50,
        max_floor_ratio=2,
        keepalive=True,
    ),
    Route("distinct detailed pages", _distinct_pages, 30, 4, 10),
    Route(
        "detail /615/",
        lambda _: [f"{LIST}615/"],
        min_vs_drf=20,
        keepalive=True,
        max_keepalive_median_ms=2,
    ),
    Route("?limit=10", lambda _: [f"{LIST}?limit=10"], min_vs_drf=20, keepalive=True),
    Route("normal list", lambda _: [f"{LIST}?limit=100"], min_vs_drf=20, keepalive=True),
    Route("distinct details", _distinct_details),
    Route("filtered+search pages", _filtered_pages),
)


# Events per transaction when filling: the sync's own write path, in fewer commits.
FILL_PAGE = 1000


def fill(url: str, count: int) -> list[Event]:
    """Store ``count`` generated events at ``url`` as the sync stores them; returns them."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    events = generate_history(n_events=count, n_open=40, seed=11)
    for start in range(0, len(events), FILL_PAGE):
        with session_scope(engine) as session:
            apply_page(session, events[start : start + FILL_PAGE], now=DEFAULT_NOW)
    engine.dispose()
    return events


@contextmanager
def server(role: str, *arguments: str) -> Iterator[int]:
    """A ``benchmarks.mirror_server`` child; yields its port, terminates it afterwards."""
    with server_process(role, *arguments) as (port, _):
        yield port


@contextmanager
def server_process(role: str, *arguments: str) -> Iterator[tuple[int, int]]:
    """A ``benchmarks.mirror_server`` child; yields its port and pid, terminates it afterwards."""
    command = [sys.executable, "-m", "benchmarks.mirror_server", role, *arguments]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], START_TIMEOUT)
        line = child.stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            raise SystemExit(f"the {role} server did not start")
        port = int(line.split()[1])
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=START_TIMEOUT) as client:
            client.get(f"{LIST}?limit=1")  # answers once its data is loaded
        yield port, child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def capture(port: int, pools: dict[str, list[str]], kinds: int) -> Responses:
    """The mirror's answers for the floor: ``kinds`` captured per route, shared round-robin by
    all the route's URLs (the floor's cost depends on the size, not on which page)."""
    kept = ("content-type", "etag", "last-modified", "vary", "allow", "cache-control")
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


def load(
    port: int, urls: Sequence[str], connections: int, seconds: float, warmup: float
) -> wrk.Measured:
    """One measured run against ``port``: ``connections`` keep-alive connections, each sending
    its next request once its previous answer is read."""
    if wrk.available():
        return wrk.run(
            port,
            urls,
            connections=connections,
            threads=min(2, connections),
            seconds=seconds,
            warmup=warmup,
        )
    result = run_load(port, urls, concurrency=connections, seconds=seconds, warmup=warmup)
    answers = len(result.latencies)
    return wrk.Measured(
        result.rate,
        result.p50_ms,
        result.p99_ms,
        answers,
        result.errors,
        result.body_bytes / answers if answers else 0.0,
    )


def _drf_missing() -> list[str]:
    return [name for name in DRF_MODULES if importlib.util.find_spec(name) is None]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def _mark(value: float, limit: float | None, *, at_least: bool) -> str:
    if limit is None:
        return f"x{value:6.1f}        "
    met = value >= limit if at_least else value <= limit
    sign = "≥" if at_least else "≤"
    return f"x{value:6.1f} ({sign}{limit:g} {'ok' if met else 'MISSED'})"


def report(
    results: dict[str, dict[str, wrk.Measured]], routes: Sequence[Route], kinds: list[str]
) -> list[str]:
    """Print the table; returns one short figure per target for the summary line."""
    print(
        f"\n  {'route':<24}{'server':<19}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'KiB':>6}{'err':>5}"
    )
    for route in routes:
        for server_name, measured in results[route.name].items():
            print(
                f"  {route.name:<24}{server_name:<19}{measured.rate:9.1f}{measured.p50_ms:9.2f}"
                f"{measured.p99_ms:9.2f}{measured.bytes_per_answer / 1024:6.0f}{measured.errors:5d}"
            )
    print(f"\n  {'route':<24}{'db':<11}{'mirror÷DRF':<24}{'floor÷mirror':<24}p99 mirror÷floor")
    figures = []
    for route in routes:
        row = results[route.name]
        for kind in kinds:
            mirror = row[f"mirror/{kind}"]
            drf = row.get("drf")
            floor = row["floor"]
            versus = (
                _mark(_ratio(mirror.rate, drf.rate), route.min_vs_drf, at_least=True)
                if drf
                else "n/a (no DRF)"
            )
            slower = _ratio(floor.rate, mirror.rate)
            floor_ratio = _mark(slower, route.max_floor_ratio, at_least=False)
            p99_ratio = _ratio(mirror.p99_ms, floor.p99_ms)
            p99 = _mark(p99_ratio, route.max_p99_vs_floor, at_least=False)
            print(f"  {route.name:<24}{kind:<11}{versus:<24}{floor_ratio:<24}{p99}")
            if kind == kinds[0] and (route.min_vs_drf or route.max_floor_ratio):
                parts = [f"{route.name}:"]
                if drf:
                    parts.append(f"x{_ratio(mirror.rate, drf.rate):.0f} DRF")
                parts.append(f"floor x{_ratio(floor.rate, mirror.rate):.1f}")
                figures.append(" ".join(parts))
    return figures


def report_keepalive(
    sequential: dict[str, dict[str, wrk.Measured]], routes: Sequence[Route], kinds: list[str]
) -> list[str]:
    """Print the one-connection table (median / p99 ms per server); returns the figures of the
    routes with a target, for the summary line."""
    names = ["floor", *(f"mirror/{kind}" for kind in kinds), "drf"]
    print("\n  one keep-alive connection, requests one after another: median / p99 ms")
    print(f"  {'route':<24}" + "".join(f"{name:<20}" for name in names) + "mirror target")
    figures = []
    for route in routes:
        row = sequential[route.name]
        if not row:
            continue
        cells = [
            f"{row[name].p50_ms:.2f} / {row[name].p99_ms:.2f}" if name in row else "n/a"
            for name in names
        ]
        mirror = row[f"mirror/{kinds[0]}"]
        target = ""
        if route.max_keepalive_median_ms is not None:
            limit = route.max_keepalive_median_ms
            met = "ok" if mirror.p50_ms <= limit else "MISSED"
            target = f"median ≤{limit:g} ms {met}"
            figures.append(f"keep-alive {route.name}: median {mirror.p50_ms:.2f} ms")
        print(f"  {route.name:<24}" + "".join(f"{cell:<20}" for cell in cells) + target)
    return figures


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 events, SQLite, 1 s each")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--dbs", default="sqlite,postgresql", help="where the mirror reads")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--keepalive-seconds",
        type=float,
        default=1.0,
        help="measured seconds per run on one keep-alive connection (no warm-up: the "
        "concurrent runs warmed every server on the same URLs)",
    )
    args = parser.parse_args(argv)
    kinds = parse_kinds(args.dbs)
    if "sqlite" not in kinds:
        kinds.insert(0, "sqlite")  # the DRF reference and the floor's bytes come from SQLite
    routes: Sequence[Route] = ROUTES
    if args.quick:
        args.events, args.seconds, args.warmup, kinds = 300, 1.0, 0.0, ["sqlite"]
        routes = ROUTES[:4]
    missing = _drf_missing()
    tool = "wrk -t2" if wrk.available() else "benchmarks.loadgen (wrk not installed)"
    print(
        f"mirror: {args.events:,} events; mirror, floor and DRF reference as uvicorn children on "
        f"{HOST}, one process each; {tool}, {args.concurrency} connections, {args.seconds:g} s "
        f"per run after {args.warmup:g} s warm-up"
    )
    if missing:
        print(
            f"  DRF reference skipped: {', '.join(missing)} not installed "
            "(make bench installs the bench extra)"
        )
    results: dict[str, dict[str, wrk.Measured]] = {route.name: {} for route in routes}
    sequential: dict[str, dict[str, wrk.Measured]] = {route.name: {} for route in routes}
    with tempfile.TemporaryDirectory(prefix="dwbench-mirror-") as tmp, ExitStack() as stack:
        ports: dict[str, int] = {}
        events: list[Event] = []
        for kind in kinds:
            url = stack.enter_context(scratch_url(kind))
            events = fill(url, args.events)
            ports[f"mirror/{kind}"] = stack.enter_context(server("mirror", url))
            if kind == "sqlite":
                sqlite_path = url.removeprefix("sqlite:///")
                if not missing:
                    ports["drf"] = stack.enter_context(server("drf", sqlite_path))
        pools = {route.name: route.urls(events) for route in routes}
        bodies = Path(tmp) / "responses.pickle"
        bodies.write_bytes(pickle.dumps(capture(ports["mirror/sqlite"], pools, 10)))
        ports["floor"] = stack.enter_context(server("floor", str(bodies)))
        for route in routes:
            for name in ("floor", *(f"mirror/{kind}" for kind in kinds), "drf"):
                if name in ports:
                    results[route.name][name] = load(
                        ports[name], pools[route.name], args.concurrency, args.seconds, args.warmup
                    )
        for route in routes:
            if not route.keepalive:
                continue
            for name in ("floor", *(f"mirror/{kind}" for kind in kinds), "drf"):
                if name in ports:
                    sequential[route.name][name] = load(
                        ports[name], pools[route.name], 1, args.keepalive_seconds, 0.0
                    )
    figures = report(results, routes, kinds)
    figures += report_keepalive(sequential, routes, kinds)
    return summary("mirror", "; ".join(figures))


if __name__ == "__main__":
    main()
