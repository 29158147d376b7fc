"""The MQTT publisher through outages: a broker restarted mid-stream without persistence, Redis
down and back, and the one-line exits of a bad DOCKWATCH_MQTT_URL or refused credentials."""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine

from harness.mqtt_listener import MqttListener, clear_retained, retained_now
from tests.run_helpers import free_port, wait_until
from tests.worker.mqtt_helpers import (
    filters,
    mqtt_settings,
    own_mosquitto,
    own_topics,
    publishing,
)
from tests.worker.notifications import group_pending, own_redis, sync, upstream_event
from worker.bootstrap import build_relay
from worker.notify.mqtt.publisher import group_name

TIANGONG = 18
FIRST_PORT = 40


def docking(event_id: int) -> dict[str, Any]:
    """A docking at a port of its own (port ``FIRST_PORT + event_id % 100``)."""
    return upstream_event(event_id, location_id=FIRST_PORT + event_id % 100)


def delivered_up_to(client: redis.Redis, stream: str, topics: Any) -> bool:
    """Whether the publisher's group has had every entry of the stream."""
    groups: Any = client.xinfo_groups(stream)
    [group] = [g for g in groups if g["name"].decode() == group_name(topics)]
    info: Any = client.xinfo_stream(stream)
    return bool(group["last-delivered-id"] == info["last-generated-id"])


def subjects(listener: MqttListener, topic: str) -> set[str]:
    return {str(m.json()["subject"]) for m in listener.on(topic)}


@pytest.mark.slow
def test_a_broker_restarted_mid_stream_loses_no_notification_and_gets_the_state_back(
    engine: Engine, redis_prefix: str, redis_client: redis.Redis
) -> None:
    port = free_port()
    topics = own_topics()
    settings = mqtt_settings(topics, redis_prefix=redis_prefix, broker=f"mqtt://127.0.0.1:{port}")
    relay = build_relay(settings, engine, redis_client)
    # The test decides when the publisher may try again: after its own subscriber is back.
    gate = threading.Event()
    gate.set()
    retries: list[float] = []

    def gated(stop: threading.Event, seconds: float) -> None:
        retries.append(seconds)
        gate.wait(30)
        stop.wait(0.05)

    before = list(range(7001, 7004))
    during = list(range(7004, 7007))
    with own_mosquitto(port) as broker:
        first = MqttListener(filters(topics), port=port).start()
        with publishing(settings, engine, sleep=gated):
            first.wait_for(lambda m: m.topic == topics.status and m.payload == b"online", "online")
            for ident in before:
                sync(engine, [docking(ident)])
                relay.publish_pending()
            first.wait_for_all(topics.events, len(before))
            gate.clear()
            broker.kill()
            broker.wait(10)
            for ident in during:  # committed and relayed while the broker is down
                sync(engine, [docking(ident)])
                relay.publish_pending()
            wait_until(lambda: retries, "the publisher to find the broker gone")
            first.close()
            with own_mosquitto(port):  # the same port, nothing retained
                second = MqttListener(filters(topics), port=port).start()
                gate.set()
                second.wait_for_all(topics.events, len(during))
                held = wait_until(
                    lambda: (
                        (found := retained_now(filters(topics), port=port)).get(
                            topics.docked(TIANGONG)
                        )
                        and json.loads(found[topics.docked(TIANGONG)])["count"] == 6
                        and found
                    ),
                    "the retained state after the restart",
                )
                second.close()
                # Acknowledged once the state they changed is acknowledged by the broker too.
                wait_until(
                    lambda: group_pending(redis_client, settings.stream, group_name(topics)) == 0,
                    "every entry acknowledged",
                )
                last_delivered = delivered_up_to(redis_client, settings.stream, topics)

    assert subjects(first, topics.events) | subjects(second, topics.events) == {
        str(i) for i in before + during
    }
    assert subjects(second, topics.events) >= {str(i) for i in during}
    assert last_delivered
    for ident in before + during:
        payload = json.loads(held[topics.port(TIANGONG, FIRST_PORT + ident % 100)])
        assert payload["event_id"] == ident
    assert held[topics.status] == b"online"
    assert topics.device_config(TIANGONG) in held


@pytest.mark.slow
def test_redis_down_and_back_loses_no_notification(engine: Engine, redis_prefix: str) -> None:
    redis_port = free_port()
    topics = own_topics()
    settings = mqtt_settings(
        topics, redis_prefix=redis_prefix, redis_url=f"redis://127.0.0.1:{redis_port}/0"
    )
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    relay = build_relay(settings, engine, client)
    pauses: list[float] = []

    def counted(stop: threading.Event, seconds: float) -> None:
        pauses.append(seconds)
        stop.wait(min(seconds, 0.2))

    listener = MqttListener(filters(topics)).start()
    try:
        with ExitStack() as first_life:
            first_life.enter_context(own_redis(redis_port))
            with publishing(settings, engine, block_ms=200, sleep=counted):
                listener.wait_for(lambda m: m.topic == topics.status, "online")
                sync(engine, [docking(8001)])
                relay.publish_pending()
                listener.wait_for_all(topics.events, 1)
                first_life.close()  # Redis stops: its stream and groups are gone with it
                sync(engine, [docking(8002)])  # committed while Redis is down
                wait_until(lambda: pauses, "the publisher to find Redis gone")
                with own_redis(redis_port):
                    relay.publish_pending()  # the relay's outbox reaches the new stream
                    listener.wait_for_all(topics.events, 2)
                    state = wait_until(
                        lambda: (
                            (found := retained_now(filters(topics))).get(
                                topics.port(TIANGONG, FIRST_PORT + 2)
                            )
                            and found
                        ),
                        "the state after the outage",
                    )
                    wait_until(
                        lambda: group_pending(client, settings.stream, group_name(topics)) == 0,
                        "every entry acknowledged",
                    )
                    last_delivered = delivered_up_to(client, settings.stream, topics)
    finally:
        listener.close()
        client.close()
        clear_retained(filters(topics))
    assert subjects(listener, topics.events) == {"8001", "8002"}
    assert json.loads(state[topics.port(TIANGONG, FIRST_PORT + 2)])["event_id"] == 8002
    assert json.loads(state[topics.docked(TIANGONG)])["count"] == 2
    assert last_delivered
