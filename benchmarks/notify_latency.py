"""Commit-to-subscriber latency of notifications (median, p99) over N changes.

Each change is one sync-like transaction (``apply_page`` + ``record_changes`` + commit) on a
single docking event whose docking location flips; the clock starts right after the commit
and stops when a consumer-group subscriber thread has the event in hand. Changes are made one
at a time (the next commit waits for the previous delivery), so the figures are per-change
latency, not throughput. Two relay paths are measured:

- ``direct``: the committing process calls ``relay_pending`` right after its commit (what
  ``dockwatch sync`` and the sync task's after-commit hook do);
- ``loop``: a ``run_relay_forever`` thread woken through Pub/Sub by ``wake_relay``.

Usage: ``python benchmarks/notify_latency.py [--changes 1000] [--database-url URL]``
(default: a temporary SQLite file; a PostgreSQL URL gets a throwaway schema; Redis from
``DOCKWATCH_REDIS_URL`` or localhost).
Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import make_url, text
from sqlmodel import Session, SQLModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.store import tables  # noqa: E402, F401 - registers the tables
from models.store.db import make_engine  # noqa: E402
from worker.notify.outbox import record_changes  # noqa: E402
from worker.notify.relay import relay_pending, run_relay_forever, wake_relay  # noqa: E402
from worker.notify.subscriber import Subscriber  # noqa: E402
from worker.sync.store import apply_page  # noqa: E402

UPSTREAM = "https://ll.thespacedevs.com/2.2.0"
SAMPLE = ROOT / "tests" / "data" / "ll-2.2.0_docking_event_615_detail_format-api.json"


def page(base: dict[str, Any], location: int) -> list[dict[str, Any]]:
    event = copy.deepcopy(base)
    event["docking_location"]["id"] = location
    event["docking_location"]["name"] = f"Port {location}"
    return [event]


def commit_change(engine: Any, base: dict[str, Any], n: int) -> float:
    """Commit change ``n`` (the docking location flips) with its outbox row, as a sync page
    does; returns ``time.perf_counter()`` right after the commit."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        result = apply_page(session, page(base, 32 + n % 2), now=now)
        record_changes(session, result.changes, upstream_base=UPSTREAM, now=now)
        session.commit()
    return time.perf_counter()


class Receiver(threading.Thread):
    """A consumer-group subscriber noting when each sequence number arrives."""

    def __init__(self, client: redis.Redis, stream: str) -> None:
        super().__init__(daemon=True)
        self.subscriber = Subscriber(client, stream, group="bench", consumer="c")
        self.subscriber.ensure_group()
        self.arrived: dict[int, float] = {}
        self.condition = threading.Condition()
        self.stop = threading.Event()

    def run(self) -> None:
        for delivery in self.subscriber.events(block_ms=200, stop=self.stop):
            now = time.perf_counter()
            self.subscriber.ack(delivery)
            with self.condition:
                self.arrived[int(delivery.event["sequence"])] = now
                self.condition.notify_all()

    def wait_for(self, sequence: int, timeout: float = 30) -> float:
        with self.condition:
            if not self.condition.wait_for(lambda: sequence in self.arrived, timeout):
                raise TimeoutError(f"notification {sequence} never arrived")
            return self.arrived[sequence]


@contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    """The URL itself for SQLite; for PostgreSQL a throwaway schema, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    schema = f"dwbench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(database_url: str, redis_url: str, mode: str, changes: int) -> list[float]:
    engine = make_engine(database_url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    client = redis.Redis.from_url(redis_url)
    stream = f"dwbench:{uuid.uuid4().hex[:8]}:events"
    base = json.loads(SAMPLE.read_text())
    receiver = Receiver(client, stream)
    receiver.start()
    stop_loop = threading.Event()
    loop = None
    if mode == "loop":
        loop = threading.Thread(
            target=run_relay_forever,
            args=(engine, client),
            kwargs={"stream": stream, "retention_days": 7, "interval": 60, "stop": stop_loop},
            daemon=True,
        )
        loop.start()
    latencies = []
    try:
        for n in range(changes + 1):  # change 0 is the docking itself: a warm-up, not counted
            committed = commit_change(engine, base, n)
            if mode == "direct":
                relay_pending(engine, client, stream=stream, retention_days=7)
            else:
                wake_relay(client, stream)
            arrived = receiver.wait_for(n + 1)
            if n:
                latencies.append((arrived - committed) * 1000)
    finally:
        receiver.stop.set()
        stop_loop.set()
        receiver.join(timeout=5)
        if loop is not None:
            loop.join(timeout=5)
        client.delete(stream)
        client.close()
        engine.dispose()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--mode", choices=["direct", "loop", "both"], default="both")
    args = parser.parse_args()
    redis_url = os.environ.get("DOCKWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        kind = database_url.split(":", 1)[0]
        modes = ["direct", "loop"] if args.mode == "both" else [args.mode]
        for mode in modes:
            with scratch_database(database_url) as url:
                ms = measure(url, redis_url, mode, args.changes)
            print(
                f"{kind:<20} relay={mode:<6} changes={len(ms)}  "
                f"median={statistics.median(ms):.2f} ms  p99={percentile(ms, 0.99):.2f} ms  "
                f"max={max(ms):.2f} ms"
            )


if __name__ == "__main__":
    main()
