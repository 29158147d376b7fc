"""Subscribers: commit-to-webhook, -SSE and -MQTT latency, and the SSE fan-out's cost.

- Latency (median, p99) over N changes, one at a time, each a sync-like transaction
  (``apply_page`` + ``record_changes`` + commit) relayed right after its commit, as the sync does.
  The clock starts after the commit and stops when a real webhook receiver (a thread of this
  process, signed deliveries from ``EndpointDelivery``), a real SSE client (on a real mirror
  server, in a thread) or an MQTT client (subscribed to the events topic ``dockwatch mqtt``, a
  process of its own, publishes to, on the broker at ``DOCKWATCH_BENCH_MQTT_URL``, default the
  local Mosquitto) has the notification. All three run in the same pass, side by side, on SQLite
  and on PostgreSQL (``--databases``).
- Fan-out: ``dockwatch serve`` in its own process; C concurrent SSE clients each receive every one
  of M notifications added to the stream. The mirror's CPU time (``/proc``) per notification, with
  C clients and with one, gives the cost of each further client; the stream reads stay one per
  batch whatever C is.

    python -m benchmarks.subscribers [--quick] [--changes 1000] [--clients 100] [--events 200]
        [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis
from sqlalchemy.engine import Engine

from benchmarks.databases import REDIS_URL, parse_kinds, scratch_engine
from benchmarks.figures import median, percentile, ratio, summary
from benchmarks.notify_latency import SAMPLE, commit_change
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from harness.mqtt_listener import MqttListener, clear_retained
from harness.sse import SseListener
from harness.webhook_receiver import WebhookReceiver
from models.support.compact_json import compact_json
from settings import Settings
from worker.bootstrap import mirror_redis
from worker.notify.mqtt.topics import Topics
from worker.notify.relay import relay_pending
from worker.notify.webhook_delivery import EndpointDelivery
from worker.notify.webhook_registry import register
from worker.notify.webhooks import new_secret

ROOT = Path(__file__).resolve().parents[1]
# The broker the MQTT publisher publishes to (the test suite's Mosquitto by default).
MQTT_URL = os.environ.get("DOCKWATCH_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")
MQTT_ADDRESS = (urlsplit(MQTT_URL).hostname or "127.0.0.1", urlsplit(MQTT_URL).port or 1883)


def latencies(kind: str, changes: int) -> dict[str, list[float]]:
    """Commit-to-webhook, commit-to-SSE and commit-to-MQTT milliseconds for each change (after
    a warm-up), on a scratch database of ``kind``. The webhook delivery and the mirror run in
    this process; the MQTT publisher is ``dockwatch mqtt`` itself, publishing to the broker at
    ``MQTT_URL``, where a client of this process notes each notification's arrival."""
    with scratch_engine(kind) as engine:
        # With its password: the publisher is a process of its own.
        return _latencies(engine, engine.url.render_as_string(hide_password=False), changes)


def _latencies(engine: Engine, database_url: str, changes: int) -> dict[str, list[float]]:
    client = redis.Redis.from_url(REDIS_URL)
    stream = f"dwbench:{uuid.uuid4().hex[:8]}:events"
    topics = Topics(f"dwbench/{uuid.uuid4().hex[:8]}", f"dwbench-ha/{uuid.uuid4().hex[:8]}")
    base = json.loads(SAMPLE.read_text())
    hook_ms: list[float] = []
    sse_ms: list[float] = []
    mqtt_ms: list[float] = []
    publisher = start_mqtt(database_url, stream, topics)
    listener = MqttListener([topics.events, topics.status], *MQTT_ADDRESS)
    try:
        listener.start()
        listener.wait_for(
            lambda m: m.topic == topics.status and m.payload == b"online", "dockwatch mqtt", 60
        )
        with WebhookReceiver() as receiver, httpx.Client(timeout=10) as http:
            now = dt.datetime.now(dt.UTC)
            endpoint = register(
                engine, client, stream, url=receiver.url, secret=new_secret(), event_types=(),
                now=now,
            )  # fmt: skip
            assert endpoint.id is not None
            delivery = EndpointDelivery(engine, client, stream, endpoint.id, http)
            deliverer = threading.Thread(target=delivery.run, daemon=True)
            deliverer.start()
            settings = Settings(_env_file=None, redis_url=REDIS_URL, stream=stream)
            app = mirror_app(
                engine, settings=settings, event_feed=mirror_redis(settings).event_feed
            )
            with serve_in_thread(app) as mirror:
                sse = SseListener(f"{mirror}/events", changes + 1)
                sse.start()
                sse.connected.wait(10)
                try:
                    for n in range(changes + 1):  # change 0 is the docking itself: a warm-up
                        committed = commit_change(engine, base, n)
                        relay_pending(engine, client, stream=stream, retention_days=7)
                        hooked = receiver.wait_for(n + 1)[n].arrived
                        streamed = sse.wait_for(n + 1)[n].arrived
                        published = listener.wait_for_all(topics.events, n + 1)[n].at
                        if n:
                            hook_ms.append((hooked - committed) * 1000)
                            sse_ms.append((streamed - committed) * 1000)
                            mqtt_ms.append((published - committed) * 1000)
                finally:
                    sse.join(timeout=10)
                    sse.client.close()
                    delivery.stop.set()
                    deliverer.join(timeout=10)
    finally:
        listener.close()
        publisher.terminate()
        publisher.wait(timeout=30)
        clear_retained([f"{topics.prefix}/#", f"{topics.discovery}/#"], *MQTT_ADDRESS)
        client.delete(stream, f"{stream}:dead")
        client.close()
    return {"webhook": hook_ms, "sse": sse_ms, "mqtt": mqtt_ms}


def start_mqtt(database_url: str, stream: str, topics: Topics) -> subprocess.Popen[bytes]:
    """``dockwatch mqtt`` on the benchmark's database, stream and topic prefixes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
    env.update(
        DOCKWATCH_DATABASE_URL=database_url,
        DOCKWATCH_REDIS_URL=REDIS_URL,
        DOCKWATCH_STREAM=stream,
        DOCKWATCH_MQTT_URL=MQTT_URL,
        DOCKWATCH_MQTT_TOPIC_PREFIX=topics.prefix,
        DOCKWATCH_MQTT_DISCOVERY_PREFIX=topics.discovery,
        DOCKWATCH_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    argv = [sys.executable, "-m", "worker.cli", "mqtt"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fan_out(base: str, client: redis.Redis, stream: str, clients: int, events: int) -> float:
    """Connect ``clients`` SSE clients, add ``events`` notifications, wait until every client has
    all of them; returns the wall seconds from the first notification to the last arrival."""
    done = asyncio.Event()
    counts = [0] * clients
    connected = asyncio.Semaphore(0)

    async def listen(index: int, http: httpx.AsyncClient) -> None:
        async with http.stream("GET", f"{base}/events") as response:
            connected.release()
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    counts[index] += 1
                    if all(count >= events for count in counts):
                        done.set()
                    if counts[index] >= events:
                        return

    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as http:
        tasks = [asyncio.create_task(listen(i, http)) for i in range(clients)]
        for _ in range(clients):
            await asyncio.wait_for(connected.acquire(), 30)
        started = time.perf_counter()
        for n in range(events):
            event = {"id": f"bench-{n}", "type": "docking_event.updated", "sequence": str(n)}
            client.xadd(stream, {"event": compact_json(event)})
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return elapsed


def fan_out_cost(tmp: str, clients: int, events: int) -> dict[int, tuple[float, float]]:
    """Per client count (1 and ``clients``): the mirror's CPU seconds and the wall seconds."""
    stream = f"dwbench:{uuid.uuid4().hex[:8]}:events"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
    port = _free_port()
    env.update(
        DOCKWATCH_DATABASE_URL=f"sqlite:///{tmp}/fanout.db",
        DOCKWATCH_REDIS_URL=REDIS_URL,
        DOCKWATCH_STREAM=stream,
        PYTHONPATH=str(ROOT),
    )
    argv = [sys.executable, "-m", "worker.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    client = redis.Redis.from_url(REDIS_URL)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        _wait_for_http(f"{base}/healthz", server)
        for count in (1, clients):
            before = cpu_seconds(server.pid)
            wall = asyncio.run(fan_out(base, client, stream, count, events))
            results[count] = (cpu_seconds(server.pid) - before, wall)
    finally:
        server.terminate()
        server.wait(timeout=30)
        client.delete(stream)
        client.close()
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_http(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("dockwatch serve exited")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} never answered")


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 changes, 10 clients, 20 events")
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="latency on these (--quick: sqlite)"
    )
    args = parser.parse_args(argv)
    kinds = ["sqlite"] if args.quick else parse_kinds(args.databases)
    changes, clients, events = (
        (20, 10, 20) if args.quick else (args.changes, args.clients, args.events)
    )
    with tempfile.TemporaryDirectory(prefix="dwbench-subscribers-") as tmp:
        figures: dict[str, dict[str, list[float]]] = {}
        for kind in kinds:
            print(
                "subscribers: commit-to-webhook, commit-to-SSE and commit-to-MQTT latency over"
                f" {changes} changes ({kind})"
            )
            figures[kind] = latencies(kind, changes)
            for name, ms in figures[kind].items():
                print(
                    f"  {name:<8} n={len(ms)}  median {median(ms):6.2f} ms  "
                    f"p99 {percentile(ms, 0.99):6.2f} ms  max {max(ms):6.2f} ms"
                )
        print(f"subscribers: SSE fan-out, {events} notifications to 1 and to {clients} clients")
        cost = fan_out_cost(tmp, clients, events)
    (cpu_one, _), (cpu_all, _) = cost[1], cost[clients]
    per_client_ms = (cpu_all - cpu_one) / max(clients - 1, 1) / events * 1000
    for count, (cpu, wall) in sorted(cost.items()):
        print(
            f"  {count:>4} clients: every client got all {events}; mirror CPU {cpu:.2f} s "
            f"({cpu / events * 1000:.2f} ms per notification), wall {wall:.2f} s"
        )
    print(f"  each further client costs the mirror {per_client_ms:.3f} ms CPU per notification")
    first = figures[kinds[0]]
    hook, sse, mqtt = first["webhook"], first["sse"], first["mqtt"]
    return summary(
        "subscribers",
        f"{kinds[0]}: webhook median/p99 {median(hook):.1f}/{percentile(hook, 0.99):.1f} ms, "
        f"SSE {median(sse):.1f}/{percentile(sse, 0.99):.1f} ms, "
        f"MQTT {median(mqtt):.1f}/{percentile(mqtt, 0.99):.1f} ms over {len(hook)} changes; "
        f"fan-out to {clients} clients: {per_client_ms:.3f} ms CPU per client per notification "
        f"(mirror CPU {ratio(cpu_all, cpu_one)} for {clients}x the clients)",
    )


if __name__ == "__main__":
    main()
