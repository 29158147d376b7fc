"""An MQTT client for tests and benchmarks: what a broker holds and what arrives, as it arrives.

``MqttListener`` subscribes to topic filters (reconnecting and subscribing again when the broker
comes back) and keeps every message with its retain flag and arrival time (``time.perf_counter``);
``retained_now`` opens a fresh connection and returns what the broker retains under the filters
right now (a marker message of its own, published after the subscription, says when the
retained ones are all in); ``clear_retained`` empties those topics.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

HOST = "127.0.0.1"
PORT = 1883


@dataclass(frozen=True)
class Received:
    """One message as the listener got it."""

    topic: str
    payload: bytes
    retain: bool
    at: float  # time.perf_counter() on arrival

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)


class MqttListener:
    """A subscriber to ``filters`` on a broker; ``messages`` grows as they arrive."""

    def __init__(self, filters: Sequence[str], host: str = HOST, port: int = PORT) -> None:
        self.filters = list(filters)
        self.host, self.port = host, port
        self.messages: list[Received] = []
        self.subscribed = threading.Event()
        self._lock = threading.Condition()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"dwtest-{uuid.uuid4().hex[:10]}"
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.reconnect_delay_set(0.1, 0.5)

    def _on_connect(self, client: paho.Client, *_args: Any) -> None:
        raw = client.socket()
        if isinstance(raw, socket.socket):  # its acknowledgements go out at once
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe([(topic, 1) for topic in self.filters])

    def _on_subscribe(self, *_args: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.subscribed.clear()

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        received = Received(message.topic, message.payload, message.retain, time.perf_counter())
        with self._lock:
            self.messages.append(received)
            self._lock.notify_all()

    def start(self, timeout: float = 10.0) -> MqttListener:
        """Connect and wait for the subscription (the broker must be up)."""
        self.client.connect(self.host, self.port, keepalive=10)
        self.client.loop_start()
        assert self.subscribed.wait(timeout), f"no SUBACK from {self.host}:{self.port}"
        return self

    def wait_for(
        self, match: Callable[[Received], bool], what: str, timeout: float = 30.0
    ) -> Received:
        """The first message (arrived or arriving) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._lock:
            seen = 0
            while True:
                for message in self.messages[seen:]:
                    if match(message):
                        return message
                seen = len(self.messages)
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"gave up waiting for {what}"
                self._lock.wait(remaining)

    def wait_for_all(self, topic: str, count: int, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` messages on ``topic``, once that many arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(arrived := [m for m in self.messages if m.topic == topic]) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"only {len(arrived)} of {count} messages on {topic}"
                self._lock.wait(remaining)
            return arrived[:count]

    def on(self, topic: str) -> list[Received]:
        """Every message arrived on ``topic`` so far."""
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> MqttListener:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def retained_now(
    filters: Sequence[str], host: str = HOST, port: int = PORT, timeout: float = 10.0
) -> dict[str, bytes]:
    """Every retained message under ``filters`` now: topic → payload (empty ones are none)."""
    marker = f"dwtest-marker/{uuid.uuid4().hex}"
    listener = MqttListener([*filters, marker], host, port).start(timeout)
    try:
        listener.client.publish(marker, b"1", qos=1).wait_for_publish(timeout)
        listener.wait_for(lambda m: m.topic == marker, "the marker", timeout)
        with listener._lock:
            return {m.topic: m.payload for m in listener.messages if m.retain and m.payload}
    finally:
        listener.close()


def clear_retained(filters: Sequence[str], host: str = HOST, port: int = PORT) -> int:
    """Delete every retained message under ``filters``; returns how many there were."""
    held = retained_now(filters, host, port)
    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.connect(host, port)
    client.loop_start()
    try:
        for topic in held:
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()
    return len(held)
