"""``GET /events``: notifications as Server-Sent Events from one fan-out reader per process.

A real uvicorn server (in a thread) serves the mirror with its feed on this test's stream; the
clients are real HTTP connections reading the event stream line by line, as EventSource does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from api_mirror.http.routes.events import NOT_CONFIGURED, EventFeed
from api_mirror.live.fanout import Listener, StreamFanout
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from harness.sse import SseEvent, parse_lines
from models.fleet.stream import DOCKED, UNDOCKED
from models.support.compact_json import compact_json
from tests.conftest import REDIS_URL

KEEPALIVE = 0.3


@pytest.fixture
def stream(redis_prefix: str) -> str:
    return f"{redis_prefix}:events"


@pytest.fixture
def fanout(stream: str) -> StreamFanout:
    return StreamFanout(REDIS_URL, stream)


@pytest.fixture
def base(engine: Engine, fanout: StreamFanout) -> Iterator[str]:
    app = mirror_app(engine, event_feed=EventFeed(fanout, KEEPALIVE))
    with serve_in_thread(app) as url:
        yield url


def publish(
    client: redis.Redis, stream: str, subject: str, kind: str = DOCKED, station: int = 4
) -> str:
    event = {
        "specversion": "1.0",
        "id": f"id-{subject}",
        "type": kind,
        "subject": subject,
        "data": {
            "docking_event": {
                "docking_location": {
                    "id": 1,
                    "spacestation": {"id": station, "name": f"Station {station}"},
                }
            }
        },
    }
    return str(client.xadd(stream, {"event": compact_json(event)}).decode())


class Client:
    """One open /events connection; ``take`` reads notifications (keep-alives skipped)."""

    def __init__(self, stack: ExitStack, url: str, headers: dict[str, str] | None = None) -> None:
        http = stack.enter_context(httpx.Client(timeout=10))
        self.response = stack.enter_context(http.stream("GET", url, headers=headers or {}))
        assert self.response.status_code == 200, self.response.read()
        self.events = parse_lines(self.response.iter_lines())

    def take(self, count: int) -> list[SseEvent]:
        taken = []
        while len(taken) < count:
            event = next(self.events)
            if event.id is not None:
                taken.append(event)
        return taken


def test_each_notification_is_an_event_with_the_entry_id_its_type_and_one_line_json(
    base: str, redis_client: redis.Redis, stream: str
) -> None:
    with ExitStack() as stack:
        client = Client(stack, f"{base}/events")
        first = publish(redis_client, stream, "1")
        second = publish(redis_client, stream, "1", UNDOCKED)
        events = client.take(2)
        headers = client.response.headers

    assert headers["content-type"].startswith("text/event-stream")
    assert [(e.id, e.event) for e in events] == [(first, DOCKED), (second, UNDOCKED)]
    assert events[0].json()["id"] == "id-1"
    assert events[0].json()["type"] == DOCKED
    assert "\n" not in events[0].data


def test_last_event_id_resumes_after_that_entry_without_gaps_or_duplicates(
    base: str, redis_client: redis.Redis, stream: str
) -> None:
    ids = [publish(redis_client, stream, str(n)) for n in range(3)]
    with ExitStack() as stack:
        resumed = Client(stack, f"{base}/events", {"Last-Event-ID": ids[0]})
        replayed = Client(stack, f"{base}/events?last_event_id=0")
        ids.append(publish(redis_client, stream, "3"))
        from_header = [e.id for e in resumed.take(3)]
        from_zero = [e.id for e in replayed.take(4)]

    assert from_header == ids[1:]
    assert from_zero == ids


def test_types_filters_by_cloudevent_type(
    base: str, redis_client: redis.Redis, stream: str
) -> None:
    with ExitStack() as stack:
        client = Client(stack, f"{base}/events?types={UNDOCKED},docking_event.removed")
        publish(redis_client, stream, "1")
        wanted = publish(redis_client, stream, "1", UNDOCKED)
        [event] = client.take(1)

    assert (event.id, event.event) == (wanted, UNDOCKED)


def test_station_keeps_only_that_stations_notifications_by_id_or_name(
    base: str, redis_client: redis.Redis, stream: str
) -> None:
    with ExitStack() as stack:
        by_id = Client(stack, f"{base}/events?station=18")
        by_name = Client(stack, f"{base}/events?station=station%2018&types={UNDOCKED}")
        publish(redis_client, stream, "1", station=4)
        docked = publish(redis_client, stream, "2", station=18)
        undocked = publish(redis_client, stream, "2", UNDOCKED, station=18)
        seen_by_id = [e.id for e in by_id.take(2)]
        [seen_by_name] = by_name.take(1)

    assert seen_by_id == [docked, undocked]
    assert seen_by_name.id == undocked


def test_an_idle_connection_gets_keep_alive_comments(base: str) -> None:
    with ExitStack() as stack:
        client = Client(stack, f"{base}/events")
        idle = next(client.events)

    assert idle.comments == ["keep-alive"]
    assert idle.id is None


def test_many_clients_get_every_event_from_one_reader(
    base: str, fanout: StreamFanout, redis_client: redis.Redis, stream: str
) -> None:
    with ExitStack() as stack:
        clients = [Client(stack, f"{base}/events") for _ in range(20)]
        ids = []
        for n in range(5):
            ids.append(publish(redis_client, stream, str(n)))
            for client in clients:  # one at a time: each event is its own read
                assert client.take(1)[0].id == ids[-1]
        listening = len(fanout.listeners)

    assert listening == 20
    assert fanout.reads == 5  # one XREAD per event, not one per client per event


@pytest.mark.parametrize(
    "bad",
    ["yesterday", "99999999999999999999-0", "18446744073709551616", "1-99999999999999999999"],
)
def test_a_bad_last_event_id_is_a_400(base: str, bad: str) -> None:
    # Too large for Redis is as malformed as not a number: a 400, never a 503 blaming Redis.
    response = httpx.get(f"{base}/events", params={"last_event_id": bad})

    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["detail"]


def test_without_redis_events_is_a_one_line_503_and_the_rest_serves(engine: Engine) -> None:
    down = StreamFanout("redis://:hunter2@127.0.0.1:9/0", "s")
    with TestClient(mirror_app(engine, event_feed=EventFeed(down, KEEPALIVE))) as client:
        answer = client.get("/events")
        health = client.get("/healthz")
    with TestClient(mirror_app(engine)) as client:
        unconfigured = client.get("/events")

    assert answer.status_code == 503
    detail = answer.json()["detail"]
    assert "cannot reach Redis at redis://:***@127.0.0.1:9/0" in detail
    assert "\n" not in detail
    assert "hunter2" not in detail
    assert health.status_code == 200
    assert (unconfigured.status_code, unconfigured.json()) == (503, {"detail": NOT_CONFIGURED})


def test_a_listener_that_falls_behind_is_ended_not_blocking_the_others() -> None:
    async def scenario() -> list[Any]:
        listener = Listener(asyncio.Queue(2))
        accepted = [listener.offer(object()) for _ in range(3)]  # type: ignore[arg-type]
        return [*accepted, listener.queue.qsize(), await listener.queue.get()]

    assert asyncio.run(scenario()) == [True, True, False, 1, None]


def test_json_of_the_entry_is_sent_as_the_relay_wrote_it(
    base: str, redis_client: redis.Redis, stream: str
) -> None:
    event = {"id": "x", "type": DOCKED, "data": {"name": "Crew Dragon «Endeavour»"}}
    with ExitStack() as stack:
        client = Client(stack, f"{base}/events")
        redis_client.xadd(stream, {"event": compact_json(event)})
        [received] = client.take(1)

    assert received.data == compact_json(event)
    assert json.loads(received.data) == event


def test_an_unknown_notification_type_is_a_400_naming_the_known_ones(base: str) -> None:
    # It could never match: an endless empty stream would hide the typo.
    response = httpx.get(f"{base}/events", params={"types": f"{DOCKED},docking_event.dokced"})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "unknown notification type 'docking_event.dokced': one of docking_event.docked,"
        " docking_event.undocked, docking_event.updated, docking_event.removed"
    )
