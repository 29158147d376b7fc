"""Subscribers read the stream through consumer groups: resume, ack, reclaim, dead-letter."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.store.tables import DockingEvent
from tests.conftest import REDIS_URL
from tests.worker.notifications import (
    group_pending,
    remove,
    stream_events,
    sync,
    upstream_event,
)
from worker.notify.relay import relay_pending
from worker.notify.subscriber import Delivery, Subscriber, dead_letter_stream

DEPARTED = dt.datetime(2025, 5, 20, 9, 15, tzinfo=dt.UTC)


def publish(client: redis.Redis, stream: str, *subjects: str) -> list[str]:
    """Add minimal notifications straight to the stream; returns their CloudEvent ids."""
    ids = []
    for subject in subjects:
        event = {"id": f"id-{subject}", "subject": subject, "type": "docking_event.docked"}
        client.xadd(stream, {"event": json.dumps(event)})
        ids.append(event["id"])
    return ids


def drain(subscriber: Subscriber, *, ack: bool = True) -> list[Delivery]:
    """Everything deliverable now (no waiting), acknowledged unless told otherwise."""
    received: list[Delivery] = []
    while batch := subscriber.fetch(block_ms=None):
        received.extend(batch)
        if ack:
            subscriber.ack(*batch)
    return received


def relay(engine: Engine, client: redis.Redis, stream: str) -> int:
    return relay_pending(engine, client, stream=stream, retention_days=7)


def test_a_new_group_from_start_replays_the_retained_history(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    ids = publish(redis_client, stream, "1", "2", "3")
    subscriber = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)

    assert subscriber.ensure_group() is True
    assert [d.event["id"] for d in drain(subscriber)] == ids


def test_a_new_group_without_from_start_sees_only_new_events(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    publish(redis_client, stream, "1", "2")
    subscriber = Subscriber(redis_client, stream, group="g", consumer="c")
    subscriber.ensure_group()
    new = publish(redis_client, stream, "3")

    assert [d.event["id"] for d in drain(subscriber)] == new


def test_a_group_on_a_stream_that_does_not_exist_yet_gets_the_first_events(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    subscriber = Subscriber(redis_client, stream, group="g", consumer="c")
    subscriber.ensure_group()
    ids = publish(redis_client, stream, "1")

    assert [d.event["id"] for d in subscriber.fetch(block_ms=5000)] == ids


def test_an_existing_group_resumes_where_it_left_off_even_with_from_start(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    publish(redis_client, stream, "1", "2")
    first = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)
    first.ensure_group()
    drain(first)
    later = publish(redis_client, stream, "3")

    again = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)
    assert again.ensure_group() is False
    assert [d.event["id"] for d in drain(again)] == later


def test_a_subscriber_offline_during_three_syncs_receives_everything_missed_in_order(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    online = Subscriber(redis_client, stream, group="app", consumer="c1")
    online.ensure_group()
    sync(engine, [upstream_event(700)])
    relay(engine, redis_client, stream)
    assert [d.event["subject"] for d in drain(online)] == ["700"]

    # Offline: three syncs, each relayed.
    sync(engine, [upstream_event(701), upstream_event(702)])
    relay(engine, redis_client, stream)
    sync(engine, [upstream_event(700, departure=DEPARTED)])
    relay(engine, redis_client, stream)
    remove(engine, [701])
    relay(engine, redis_client, stream)

    # A new connection, as a restarted subscriber would open (to the test Redis, never DB 0).
    with redis.Redis.from_url(REDIS_URL) as reconnected:
        back = Subscriber(reconnected, stream, group="app", consumer="c1")
        back.ensure_group()
        missed = [d.event for d in drain(back)]
    assert [(e["subject"], e["type"]) for e in missed] == [
        ("701", "docking_event.docked"),
        ("702", "docking_event.docked"),
        ("700", "docking_event.undocked"),
        ("701", "docking_event.removed"),
    ]
    assert [e["id"] for e in missed] == [e["id"] for e in stream_events(redis_client, stream)[1:]]


def test_unacknowledged_events_are_delivered_again_after_a_restart(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    crashed = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)
    crashed.ensure_group()
    ids = publish(redis_client, stream, "1", "2")
    assert len(drain(crashed, ack=False)) == 2  # handled, then died before acknowledging

    restarted = Subscriber(redis_client, stream, group="g", consumer="c")
    redelivered = drain(restarted)

    assert [(d.event["id"], d.attempt) for d in redelivered] == [(ids[0], 2), (ids[1], 2)]
    assert group_pending(redis_client, stream, "g") == 0


def test_entries_left_pending_by_a_dead_consumer_are_claimed_by_another(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    dead = Subscriber(redis_client, stream, group="g", consumer="dead", from_start=True)
    dead.ensure_group()
    ids = publish(redis_client, stream, "1", "2", "3")
    drain(dead, ack=False)

    # claim_idle_ms=0 stands in for "idle long enough" without waiting for a clock.
    survivor = Subscriber(redis_client, stream, group="g", consumer="alive", claim_idle_ms=0)
    claimed = drain(survivor)

    assert [d.event["id"] for d in claimed] == ids
    assert all(d.attempt == 2 for d in claimed)
    assert group_pending(redis_client, stream, "g") == 0


def test_an_entry_failing_n_deliveries_moves_to_the_dead_letter_stream(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    subscriber = Subscriber(
        redis_client, stream, group="g", consumer="c", claim_idle_ms=0, max_deliveries=3
    )
    subscriber.ensure_group()
    good, poison, later = publish(redis_client, stream, "1", "2", "3")
    handled: list[str] = []
    attempts: list[int] = []

    for _ in range(10):  # bounded: the poison entry must leave within max_deliveries
        for delivery in subscriber.fetch(block_ms=None):
            if delivery.event["id"] == poison:
                attempts.append(delivery.attempt)
                continue  # the handler failed: no acknowledgement
            handled.append(delivery.event["id"])
            subscriber.ack(delivery)

    dead: Any = redis_client.xrange(dead_letter_stream(stream))
    assert attempts == [1, 2, 3]
    assert handled == [good, later]
    assert len(dead) == 1
    fields = {key.decode(): value.decode() for key, value in dead[0][1].items()}
    assert json.loads(fields["event"])["id"] == poison
    assert (fields["group"], fields["deliveries"]) == ("g", "3")
    assert group_pending(redis_client, stream, "g") == 0


def test_consume_acknowledges_only_what_the_handler_returned_from(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    subscriber = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)
    subscriber.ensure_group()
    ok, failing = publish(redis_client, stream, "1", "2")
    seen: list[str] = []
    stop = threading.Event()

    def handler(event: dict[str, Any]) -> None:
        seen.append(event["id"])
        if event["id"] == failing:
            stop.set()  # consume() returns once this batch is done
            raise RuntimeError("downstream is down")

    subscriber.consume(handler, stop=stop, block_ms=5000)

    pending: Any = redis_client.xpending_range(stream, "g", min="-", max="+", count=10)
    entries: Any = redis_client.xrange(stream)
    assert seen == [ok, failing]
    assert [p["message_id"] for p in pending] == [entries[1][0]]


def test_folding_the_stream_rebuilds_the_open_dockings_as_the_tables_hold_them(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    sync(engine, [upstream_event(ident) for ident in range(700, 706)])
    sync(engine, [upstream_event(700, departure=DEPARTED), upstream_event(701, location_id=40)])
    remove(engine, [702, 703])
    sync(engine, [upstream_event(704, departure=DEPARTED)])
    sync(engine, [upstream_event(704, docking=DEPARTED - dt.timedelta(days=3), departure=None)])
    sync(engine, [upstream_event(706), upstream_event(702)])
    relay(engine, redis_client, stream)

    subscriber = Subscriber(redis_client, stream, group="fold", consumer="c", from_start=True)
    subscriber.ensure_group()
    state: dict[str, dict[str, Any]] = {}
    for delivery in drain(subscriber):
        event = delivery.event
        if event["type"] == "docking_event.removed":
            state.pop(event["subject"], None)
        else:
            state[event["subject"]] = event["data"]["docking_event"]
    folded = {
        int(subject): (doc["docking"], doc["departure"], doc["docking_location"]["id"])
        for subject, doc in state.items()
        if doc["departure"] is None
    }

    with Session(engine) as session:
        rows = session.exec(select(DockingEvent).where(col(DockingEvent.departure).is_(None))).all()
    stored = {
        row.id: (
            row.docking.isoformat().replace("+00:00", "Z"),
            None,
            row.docking_location_id,
        )
        for row in rows
    }
    assert folded == stored
    assert set(folded) == {701, 702, 704, 705, 706}


def test_an_entry_that_is_not_a_cloudevent_object_is_skipped_with_a_warning_not_a_crash(
    redis_client: redis.Redis, redis_prefix: str, caplog: Any
) -> None:
    stream = f"{redis_prefix}:events"
    before = publish(redis_client, stream, "1")
    bad = [
        redis_client.xadd(stream, {"event": value}).decode()
        for value in ("not json", "[1, 2]", "5", b"\xff\xfe")
    ]
    after = publish(redis_client, stream, "2")
    subscriber = Subscriber(redis_client, stream, group="g", consumer="c", from_start=True)
    subscriber.ensure_group()

    with caplog.at_level("WARNING", logger="worker.notify.subscriber"):
        received = drain(subscriber)

    assert [d.event["id"] for d in received] == before + after
    assert group_pending(redis_client, stream, "g") == 0  # the bad ones are settled too
    for entry_id in bad:
        assert any(entry_id in record.getMessage() for record in caplog.records), entry_id
