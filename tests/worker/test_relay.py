"""The relay publishes committed outbox rows to the Redis Stream in order, losing nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine

from tests.conftest import REDIS_URL
from tests.worker.notifications import (
    free_port,
    outbox_rows,
    own_redis,
    remove,
    stream_events,
    sync,
    upstream_event,
    wait_for_entries,
)
from worker.notify.relay import (
    RelayUnavailable,
    min_id,
    relay_pending,
    run_relay_forever,
    wake_relay,
)
from worker.notify.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]
DEPARTED = dt.datetime(2025, 5, 20, 9, 15, tzinfo=dt.UTC)


def three_batches(engine: Engine, first_id: int = 700) -> int:
    """Dock three events, undock one, remove another: six changes over four commits."""
    ids = [first_id, first_id + 1, first_id + 2]
    written = sync(engine, [upstream_event(ident) for ident in ids])
    written += sync(engine, [upstream_event(ids[0], departure=DEPARTED)])
    written += sync(engine, [upstream_event(ids[1], location_id=40)])
    return written + remove(engine, [ids[2]])


def assert_per_subject_order(events: list[dict[str, Any]]) -> None:
    last: dict[object, str] = {}
    for event in events:
        subject, sequence = event["subject"], str(event["sequence"])
        assert sequence > last.get(subject, ""), f"{subject} out of order"
        last[subject] = sequence


def test_relay_publishes_pending_rows_in_order_and_marks_them(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    recorded = three_batches(engine)

    published = relay_pending(engine, redis_client, stream=stream, retention_days=7)

    rows = outbox_rows(engine)
    assert published == recorded == 6
    assert [event["id"] for event in stream_events(redis_client, stream)] == [
        row.event_id for row in rows
    ]
    assert all(row.published_at is not None for row in rows)
    assert relay_pending(engine, redis_client, stream=stream, retention_days=7) == 0
    assert len(stream_events(redis_client, stream)) == 6


def test_relay_works_through_the_backlog_batch_by_batch(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    sync(engine, [upstream_event(ident) for ident in range(800, 825)])

    assert relay_pending(engine, redis_client, stream=stream, retention_days=7, batch=4) == 25
    assert [e["subject"] for e in stream_events(redis_client, stream)] == [
        str(ident) for ident in range(800, 825)
    ]


def test_relay_publishes_a_wake_up_hint_on_the_channel_named_after_the_stream(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    pubsub = redis_client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe(stream)
    sync(engine, [upstream_event(615)])

    relay_pending(engine, redis_client, stream=stream, retention_days=7)

    messages = [pubsub.get_message(timeout=10) for _ in range(2)]
    pubsub.close()
    assert [(m or {}).get("type") for m in messages] == ["subscribe", "message"]
    assert messages[1] is not None
    assert messages[1]["channel"] == stream.encode()


def test_entries_older_than_the_retention_are_trimmed_and_recent_ones_kept(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    for n in range(1, 251):  # three old radix-tree nodes (100 entries each by default)
        redis_client.xadd(stream, {"event": "{}"}, id=f"{n}-0")
    three_batches(engine)

    relay_pending(engine, redis_client, stream=stream, retention_days=7)

    entries: Any = redis_client.xrange(stream)
    ids = [entry_id.decode() for entry_id, _ in entries]
    old = [entry_id for entry_id in ids if int(entry_id.split("-")[0]) <= 250]
    assert len(old) < 100  # whole nodes below the cutoff are gone
    assert len(ids) - len(old) == 6


def test_min_id_keeps_exactly_the_retention_window() -> None:
    now = dt.datetime(2025, 4, 4, tzinfo=dt.UTC)
    cutoff_ms = int((now - dt.timedelta(days=7)).timestamp() * 1000)

    assert min_id(now, 7) == f"{cutoff_ms}-0"


def test_two_relays_at_once_publish_every_row_exactly_once_in_order(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    for start in range(900, 960, 10):
        sync(engine, [upstream_event(ident) for ident in range(start, start + 10)])
    start_together = threading.Barrier(2)
    counts: list[int] = []

    def relay() -> None:
        start_together.wait()
        counts.append(relay_pending(engine, redis_client, stream=stream, retention_days=7, batch=3))

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    events = stream_events(redis_client, stream)
    assert sum(counts) == len(events) == 60
    assert [e["id"] for e in events] == [row.event_id for row in outbox_rows(engine)]


def test_redis_down_keeps_rows_pending_and_delivers_each_once_when_it_returns(
    engine: Engine,
) -> None:
    port, stream = free_port(), "dockwatch:events"
    client = redis.Redis(port=port)
    with own_redis(port):
        sync(engine, [upstream_event(700)])
        relay_pending(engine, client, stream=stream, retention_days=7)

    recorded = three_batches(engine, first_id=710)  # committed while Redis is stopped
    with pytest.raises(RelayUnavailable, match="cannot publish"):
        relay_pending(engine, client, stream=stream, retention_days=7)
    assert sum(row.published_at is None for row in outbox_rows(engine)) == recorded

    with own_redis(port):  # back, empty (no persistence): only the pending rows go out
        assert relay_pending(engine, client, stream=stream, retention_days=7) == recorded
        events = stream_events(client, stream)
    client.close()

    assert [e["id"] for e in events] == [row.event_id for row in outbox_rows(engine)[1:]]
    assert len({e["id"] for e in events}) == len(events)
    assert_per_subject_order(events)


def test_relay_loop_backs_off_while_redis_is_down_and_catches_up(engine: Engine) -> None:
    port, stream = free_port(), "dockwatch:events"
    client = redis.Redis(port=port)
    recorded = three_batches(engine)
    stop = threading.Event()
    loop = threading.Thread(
        target=run_relay_forever,
        args=(engine, client),
        kwargs={"stream": stream, "retention_days": 7, "interval": 60, "stop": stop},
    )
    loop.start()  # Redis is not running yet: the loop fails and backs off
    try:
        with own_redis(port):
            watcher = redis.Redis(port=port)
            wait_for_entries(watcher, stream, recorded)
            watcher.close()
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()
    assert all(row.published_at is not None for row in outbox_rows(engine))


def test_relay_loop_is_woken_right_after_a_commit(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    stop = threading.Event()
    loop = threading.Thread(
        target=run_relay_forever,
        args=(engine, redis_client),
        # An hour-long safety net: only the wake-up can deliver within the test.
        kwargs={"stream": stream, "retention_days": 7, "interval": 3600, "stop": stop},
    )
    loop.start()
    try:
        for batch in range(3):
            recorded = sync(engine, [upstream_event(1000 + batch)])
            wake_relay(redis_client, stream)
            wait_for_entries(redis_client, stream, batch + recorded)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert [e["subject"] for e in stream_events(redis_client, stream)] == ["1000", "1001", "1002"]


RELAY_SCRIPT = """
import sys, redis
from models.store.db import make_engine
from worker.notify.relay import relay_pending
engine = make_engine(sys.argv[1])
client = redis.Redis.from_url(sys.argv[2])
print(relay_pending(engine, client, stream=sys.argv[3], retention_days=7, batch=2))
"""


def run_relay_process(
    database_url: str, stream: str, crash_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DOCKWATCH_CRASH_AT"}
    if crash_at:
        env["DOCKWATCH_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-c", RELAY_SCRIPT, database_url, REDIS_URL, stream],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", ["relay.before_xadd", "relay.after_xadd"])
def test_relay_killed_mid_publish_delivers_everything_after_restart(
    engine: Engine, database_url: str, redis_client: redis.Redis, redis_prefix: str, crash_at: str
) -> None:
    stream = f"{redis_prefix}:events"
    recorded = three_batches(engine)

    crashed = run_relay_process(database_url, stream, crash_at=crash_at)
    assert crashed.returncode == -signal.SIGKILL
    assert all(row.published_at is None for row in outbox_rows(engine)[2:])

    restarted = run_relay_process(database_url, stream)
    assert restarted.returncode == 0, restarted.stderr
    if crash_at == "relay.after_xadd":  # the first batch really went out twice
        assert len(stream_events(redis_client, stream)) == recorded + 2

    subscriber = Subscriber(redis_client, stream, group="app", consumer="c", from_start=True)
    subscriber.ensure_group()
    handled: list[dict[str, Any]] = []
    seen: set[str] = set()
    while batch := subscriber.fetch(block_ms=None):
        for delivery in batch:
            if delivery.event["id"] not in seen:  # the subscriber's deduplication
                seen.add(delivery.event["id"])
                handled.append(delivery.event)
            subscriber.ack(delivery)
    assert [e["id"] for e in handled] == [row.event_id for row in outbox_rows(engine)]
    assert len(handled) == recorded
    assert all(row.published_at is not None for row in outbox_rows(engine))
    assert_per_subject_order(handled)
