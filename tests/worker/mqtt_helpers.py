"""Helpers for the MQTT tests: own topic prefixes, a publisher in a thread, a broker of the
test's own (``mosquitto -p PORT``, no persistence)."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.engine import Engine

from harness.mqtt_listener import HOST, PORT
from harness.redis_keys import TEST_REDIS_URL
from settings import Settings
from worker.bootstrap import build_mqtt
from worker.notify.mqtt.publisher import MqttPublisher
from worker.notify.mqtt.topics import Topics


def own_topics() -> Topics:
    """Topic and discovery prefixes no other test uses."""
    tag = uuid.uuid4().hex[:10]
    return Topics(f"dwtest/{tag}", f"dwtest-ha/{tag}")


def filters(topics: Topics) -> list[str]:
    """Every topic of a publisher with these prefixes."""
    return [f"{topics.prefix}/#", f"{topics.discovery}/#"]


def mqtt_settings(
    topics: Topics,
    *,
    redis_prefix: str,
    broker: str = f"mqtt://{HOST}:{PORT}",
    redis_url: str = TEST_REDIS_URL,
    protocol: str = "3.1.1",
) -> Settings:
    """Settings of a publisher on the test's stream, broker and prefixes."""
    return Settings(_env_file=None).model_copy(
        update={
            "redis_url": redis_url,
            "key_prefix": redis_prefix,
            "stream": f"{redis_prefix}:events",
            "mqtt_url": broker,
            "mqtt_topic_prefix": topics.prefix,
            "mqtt_discovery_prefix": topics.discovery,
            "mqtt_protocol": protocol,
        }
    )


@dataclass
class Running:
    """A publisher running in a thread of the test; ``errors`` holds what ended it."""

    publisher: MqttPublisher
    stop: threading.Event
    thread: threading.Thread
    errors: list[BaseException] = field(default_factory=list)


@contextmanager
def publishing(settings: Settings, engine: Engine, **options: Any) -> Iterator[Running]:
    """The bootstrap's publisher for ``settings``, run in a thread until the block ends.

    ``options`` replace the publisher's fields (``sleep``, ``refresh_seconds`` …)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    publisher = build_mqtt(settings, engine, client).publisher
    for name, value in options.items():
        setattr(publisher, name, value)
    stop = threading.Event()
    running = Running(publisher, stop, threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            publisher.run(stop)
        except Exception as error:  # noqa: BLE001 - the test reports it
            running.errors.append(error)

    running.thread = threading.Thread(target=run, name="mqtt-publisher", daemon=True)
    running.thread.start()
    try:
        yield running
    finally:
        stop.set()
        running.thread.join(timeout=20)
        client.close()
    assert not running.thread.is_alive(), "the publisher stopped"
    assert not running.errors, running.errors


@contextmanager
def own_mosquitto(port: int, config: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``mosquitto -p PORT`` (or ``-c CONFIG``) without persistence, killed on exit."""
    argv = ["mosquitto", "-c", str(config)] if config else ["mosquitto", "-p", str(port)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        said = []
        for line in process.stdout:  # it says when it listens
            said.append(line)
            if line.rstrip().endswith(b" running"):
                break
        else:
            raise AssertionError(f"mosquitto on port {port} did not start: {b''.join(said)!r}")
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
