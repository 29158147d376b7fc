"""One snapshot per page while syncs commit: every page's count, results, next and previous agree.

A writer runs real sync cycles against the fake upstream (a new docking, an undocking and a poll
each time, plus full sweeps), announcing each commit as the sync does; the mirror, a real uvicorn
server listening for those hints, is read meanwhile by concurrent readers that walk the list by
its ``next`` links and check every page: ``len(results) == min(limit, count - offset)``, ``next``
null exactly at the end, ``previous`` null exactly at the start, the results in the requested
order and inside the requested filter, and, for a walk whose pages all come from one data
version (the version leads the ETag), no id twice and every event once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
import uvicorn
from sqlalchemy.engine import Engine

from api_mirror.read.watcher import Hints
from fake_upstream import FakeUpstream, make_event
from harness.mirror_app import mirror_app
from harness.sync_rig import SyncHarness
from models.store.data_version import announce_data_version, data_version_channel
from tests.cli_helpers import REDIS_URL
from tests.run_helpers import wait_until
from worker.cli.listener import bind_listener
from worker.sync.summary import Mode

WRITER_ROUNDS = 24
ISS = 4
WALKS = [
    "/2.2.0/docking_event/?limit=60",
    "/2.2.0/docking_event/?limit=100&mode=detailed&ordering=-docking",
    f"/2.2.0/docking_event/?limit=37&mode=detailed&space_station__id={ISS}&ordering=departure",
]


@dataclass
class Findings:
    """What the readers saw: pages checked, problems, walks at one version, versions seen."""

    pages: int = 0
    problems: list[str] = field(default_factory=list)
    whole_walks: int = 0
    versions: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _version(response: httpx.Response) -> int:
    return int(response.headers["etag"].removeprefix('W/"').split("-")[0])


def _order_key(url: str) -> Callable[[dict[str, Any]], Any]:
    ordering = parse_qs(urlsplit(url).query).get("ordering", ["id"])[0]
    if ordering == "-docking":
        return lambda e: (-dt.datetime.fromisoformat(e["docking"]).timestamp(), e["id"])
    if ordering == "departure":
        far = dt.datetime.max.replace(tzinfo=dt.UTC).isoformat()
        return lambda e: (e["departure"] is None, e["departure"] or far, e["id"])
    return lambda e: e["id"]


def check_page(url: str, body: dict[str, Any]) -> list[str]:
    """What is wrong with one page, as upstream's paginator and filters define it."""
    query = parse_qs(urlsplit(url).query)
    limit, offset = int(query["limit"][0]), int(query.get("offset", ["0"])[0])
    count, results = body["count"], body["results"]
    problems = []
    if len(results) != min(limit, max(0, count - offset)):
        problems.append(f"{url}: {len(results)} results, count {count}")
    if (body["next"] is None) != (offset + limit >= count):
        problems.append(f"{url}: next {body['next']} with count {count}")
    if (body["previous"] is None) != (offset <= 0):
        problems.append(f"{url}: previous {body['previous']}")
    key = _order_key(url)
    if [key(e) for e in results] != sorted(key(e) for e in results):
        problems.append(f"{url}: results out of order")
    if "space_station__id" in query and any(e["space_station"]["id"] != ISS for e in results):
        problems.append(f"{url}: an event outside the filter")
    return problems


def walk(client: httpx.Client, first: str, findings: Findings) -> None:
    """Follow ``next`` from the first page, checking each page and the walk as a whole."""
    url: str | None = first
    versions, ids, count = set(), [], None
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        body = response.json()
        problems = check_page(url, body)
        versions.add(_version(response))
        ids += [event["id"] for event in body["results"]]
        count = body["count"]
        url = body["next"]
        with findings.lock:
            findings.pages += 1
            findings.problems += problems
            findings.versions |= versions
    if len(versions) == 1:
        with findings.lock:
            findings.whole_walks += 1
            if len(ids) != len(set(ids)) or len(ids) != count:
                findings.problems.append(
                    f"{first}: {len(ids)} ids, {len(set(ids))} distinct, count {count}"
                )


def write(harness: SyncHarness, fake: FakeUpstream, stop: threading.Event) -> None:
    """Dock, undock and sync, round after round; a full sweep every fourth round."""
    for round_number in range(WRITER_ROUNDS):
        harness.advance(dt.timedelta(minutes=3))
        fake.add_event(
            make_event(
                200_000 + round_number,
                harness.now - dt.timedelta(minutes=1),
                location_id=[2, 19, 32][round_number % 3],
                now=harness.now,
            )
        )
        docked = [e["id"] for e in fake.events if e["departure"] is None]
        fake.set_departure(docked[round_number % len(docked)], harness.now)
        harness.cycle(Mode.FULL if round_number % 4 == 3 else Mode.POLL)
    stop.set()


@pytest.fixture
def mirror_url(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> Iterator[tuple[str, SyncHarness]]:
    """The mirror on a real uvicorn server, hearing the hints of a harness's sync."""
    hint_client = redis.Redis.from_url(REDIS_URL)

    def announce() -> None:
        announce_data_version(hint_client, redis_prefix)

    harness = SyncHarness(engine, fake, redis_prefix, after_commit=announce)
    harness.fill()
    channel = data_version_channel(redis_prefix)
    app = mirror_app(engine, clock=lambda: harness.now, hints=Hints(REDIS_URL, channel))
    listener = bind_listener("127.0.0.1", 0)  # the socket `dockwatch serve` serves on
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    try:
        wait_until(
            lambda: dict(hint_client.pubsub_numsub(channel)).get(channel.encode()),
            "the mirror to listen for hints",
            10,
        )
        yield f"http://{host}:{port}", harness
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
        harness.close()
        hint_client.close()
    assert not thread.is_alive()


def test_every_page_is_one_snapshot_while_syncs_commit(
    mirror_url: tuple[str, SyncHarness], fake: FakeUpstream
) -> None:
    base, harness = mirror_url
    findings = Findings()
    stop = threading.Event()

    def read(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            turn = offset
            while not stop.is_set():
                walk(client, WALKS[turn % len(WALKS)], findings)
                turn += 1

    readers = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for reader in readers:
        reader.start()
    try:
        write(harness, fake, stop)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
    assert findings.problems == []
    assert len(findings.versions) > WRITER_ROUNDS // 2  # the readers saw the data move
    assert findings.whole_walks > 0
    assert findings.pages > 50
