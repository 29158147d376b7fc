"""Memory: peak RSS of a first fill at 10,000 and 100,000 events (it should not grow with N).

Each size runs in a fresh child process, so ``ru_maxrss`` is that fill's own peak. The child
builds a real ``SyncCycle`` (real database, real Redis budget with room for the whole fill) whose
upstream is a file of pre-rendered events served page by page without sockets: the upstream
keeps only an index of line offsets, so the peak is dockwatch's, not the fake's. The figure that
should stay flat is the growth over the child's RSS after imports; the current RSS is also
sampled at every page, to tell a transient high-water mark from growth.

    python -m benchmarks.memory [--quick] [--sizes 10000,100000] [--dbs sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from benchmarks.databases import REDIS_URL, drop_redis_keys, parse_kinds, scratch_url
from benchmarks.figures import summary

BASE = "http://upstream.invalid/2.2.0/"
CHILD_TIMEOUT = 600


class FileUpstream(httpx.BaseTransport):
    """Serves ``docking_event/`` list pages (``limit``/``offset``) from a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.rss_samples: list[float] = []  # current RSS (KiB) as each page is asked for
        self.handle = path.open("rb")
        self.starts = array("q")
        position = 0
        for line in self.handle:
            self.starts.append(position)
            position += len(line)
        self.starts.append(position)
        self.count = len(self.starts) - 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """One page of the list, in id order."""
        self.rss_samples.append(current_rss_kb())
        params = dict(parse_qsl(request.url.query.decode()))
        limit, offset = int(params.get("limit", 10)), int(params.get("offset", 0))
        first, last = min(offset, self.count), min(offset + limit, self.count)
        self.handle.seek(self.starts[first])
        raw = self.handle.read(self.starts[last] - self.starts[first])
        following = "null"
        if last < self.count:
            following = (
                f'"{BASE}docking_event/?limit={limit}&mode=detailed&offset={last}&ordering=id"'
            )
        body = b'{"count":%d,"next":%s,"previous":null,"results":[%s]}' % (
            self.count,
            following.encode(),
            raw.rstrip(b"\n").replace(b"\n", b","),
        )
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def peak_kb() -> int:
    """This process's peak RSS so far, in KiB (Linux reports ru_maxrss in KiB).

    Linux carries ru_maxrss over ``execve`` from the forking process, so children are only
    started from a lean parent (the events file is written by a child of its own).
    """
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def current_rss_kb() -> float:
    """This process's resident set size now, in KiB (0 where /proc is absent)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024


def high_water_kb() -> int:
    """``VmHWM`` from /proc (reset by ``execve``): a cross-check of ``peak_kb``; 0 if absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(path: Path, database_url: str) -> None:
    """Run the first fill from ``path`` into ``database_url``; print one JSON line."""
    import redis
    from sqlmodel import SQLModel

    from models.store import tables  # noqa: F401 - registers the tables
    from models.store.db import make_engine
    from worker.sync.cycle import SyncCycle
    from worker.sync.summary import Mode
    from worker.sync.unit_of_work import UnitOfWork
    from worker.upstream.budget import RequestBudget
    from worker.upstream.client import UpstreamClient, build_http_client

    now = dt.datetime(2025, 4, 4, tzinfo=dt.UTC)
    before = peak_kb()
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    client_redis = redis.Redis.from_url(REDIS_URL)
    prefix = f"dwbench:{uuid.uuid4().hex[:10]}"
    budget = RequestBudget(
        client_redis,
        prefix,
        1_000_000,
        clock=lambda: now.timestamp(),
        upstream_url=BASE,
    )
    transport = FileUpstream(path)
    http = build_http_client(BASE, None, 30.0, transport=transport)
    client = UpstreamClient(http, budget, max_attempts=1, max_wait=1.0)
    sync = SyncCycle(UnitOfWork(engine, clock=lambda: now), client, budget)
    started = time.perf_counter()
    result = sync.run(Mode.POLL)
    seconds = time.perf_counter() - started
    client_redis.close()
    drop_redis_keys(prefix)
    engine.dispose()
    report = {
        "events": transport.count,
        "created": result.created,
        "requests": result.requests,
        "complete": result.complete,
        "seconds": seconds,
        "after_imports_kb": before,
        "peak_kb": peak_kb(),
        "vm_hwm_kb": high_water_kb(),
        **_rss_shape(transport.rss_samples),
    }
    print(json.dumps(report))


def _rss_shape(samples: list[float]) -> dict[str, float]:
    """Highest current RSS over the first and the last quarter of the pages (KiB)."""
    quarter = max(1, len(samples) // 4)
    return {"first_quarter_kb": max(samples[:quarter]), "last_quarter_kb": max(samples[-quarter:])}


def write_events(path: Path, size: int) -> None:
    """Generated history of ``size`` events as JSON lines, in id order."""
    from fake_upstream import generate_history

    events = generate_history(n_events=size, n_open=40, seed=size)
    with path.open("w") as out:
        for event in events:
            out.write(json.dumps(event, separators=(",", ":")))
            out.write("\n")


def measure(size: int, kind: str, directory: Path) -> dict[str, float]:
    """One first fill of ``size`` events in a fresh child process."""
    path = directory / f"events-{size}.jsonl"
    if not path.exists():
        _run_child("--write", str(path), str(size))
    with scratch_url(kind) as url:
        output = _run_child("--child", str(path), url)
    report: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return report


def _run_child(*arguments: str) -> str:
    command = [sys.executable, "-m", "benchmarks.memory", *arguments]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT, cwd=os.getcwd()
    )
    if done.returncode != 0:
        raise SystemExit(f"memory child failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two tiny sizes")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=2, metavar=("EVENTS_FILE", "DATABASE_URL"))
    parser.add_argument("--write", nargs=2, metavar=("EVENTS_FILE", "SIZE"))
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return ""
    if args.write:
        write_events(Path(args.write[0]), int(args.write[1]))
        return ""
    sizes = [200, 400] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = ["sqlite"] if args.quick else parse_kinds(args.dbs)
    print("memory: peak RSS of a first fill (SyncCycle, file-backed upstream), fresh process each")
    growth: dict[str, list[tuple[int, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="dwbench-mem-") as tmp:
        for kind in kinds:
            for size in sizes:
                report = measure(size, kind, Path(tmp))
                grown = (report["peak_kb"] - report["after_imports_kb"]) / 1024
                late = report["last_quarter_kb"] / 1024
                growth.setdefault(kind, []).append((size, grown, late))
                print(
                    f"  {kind:<10} {size:>7,} events: peak {report['peak_kb'] / 1024:6.1f} MiB "
                    f"(VmHWM {report['vm_hwm_kb'] / 1024:.1f}) = after imports "
                    f"{report['after_imports_kb'] / 1024:.1f} + {grown:.1f}; current RSS, highest "
                    f"in first/last quarter of pages {report['first_quarter_kb'] / 1024:.1f}/"
                    f"{report['last_quarter_kb'] / 1024:.1f} MiB; {report['created']:,} created in "
                    f"{report['seconds']:.1f} s ({report['requests']} pages)"
                )
    parts = [
        f"{kind} peak over post-import RSS "
        + ", ".join(f"{size:,}: +{grown:.1f}" for size, grown, _ in runs)
        + " MiB, current RSS late in the fill "
        + "/".join(f"{late:.0f}" for _, _, late in runs)
        + " MiB"
        for kind, runs in growth.items()
    ]
    return summary("memory", "; ".join(parts) + " (target: flat in N)")


if __name__ == "__main__":
    main()
