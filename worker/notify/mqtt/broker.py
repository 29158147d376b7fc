"""One connection to an MQTT broker (paho-mqtt 2.x): connect, publish, wait for the PUBACKs.

A ``Broker`` is a URL's parts (``mqtt://user:password@host:1883``, ``mqtts://`` for TLS) and a
protocol version; ``Broker.connect`` returns a ``Connection`` that has received the broker's
CONNACK, with a last will (``offline``, retained, on the availability topic) that the broker
publishes when the connection dies. Everything is QoS 1: ``Connection.publish`` returns once the
broker acknowledged every message, or raises ``BrokerLost``.

Errors: ``BrokerRefused`` (the broker refused the credentials or the client: retrying will not
help, a setting must change), ``BrokerUnreachable`` (no connection, or no CONNACK in time),
``BrokerLost`` (the connection ended or a PUBACK did not come in time). None carries a password.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from models.support.redact import redact_text, redact_url

QOS = 1
CONNECT_TIMEOUT_SECONDS = 10.0
PUBACK_TIMEOUT_SECONDS = 10.0
KEEPALIVE_SECONDS = 30
# CONNACK codes that a retry cannot fix (MQTT 5 reason codes; paho maps 3.1.1's onto them).
_REFUSALS = {
    "Bad user name or password",
    "Not authorized",
    "Client identifier not valid",
    "Banned",
    "Bad authentication method",
    "Unsupported protocol version",
}


class BrokerError(Exception):
    """The broker cannot be used now; the message is one line without a password."""


class BrokerRefused(BrokerError):
    """The broker refused the connection for a reason only a setting can fix."""


class BrokerUnreachable(BrokerError):
    """No connection to the broker (refused, unresolvable, timed out, or no CONNACK)."""


class BrokerLost(BrokerError):
    """The connection ended, or the broker did not acknowledge a message in time."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message to publish: ``payload`` is text (UTF-8 on the wire); an empty retained
    payload clears the topic's retained message."""

    topic: str
    payload: str
    retain: bool


@dataclass(frozen=True)
class Broker:
    """Where to connect: a ``mqtt://`` or ``mqtts://`` URL and the protocol (``3.1.1``, ``5``).

    Raises ValueError for a URL that names no broker (settings validate it first).
    """

    url: str
    protocol: str = "3.1.1"

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("not an mqtt:// or mqtts:// URL")
        _ = parts.port  # raises ValueError when out of range

    @property
    def host(self) -> str:
        """The broker's host name or address."""
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        """The broker's port (1883, or 8883 for ``mqtts://``, unless the URL names one)."""
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def tls(self) -> bool:
        """Whether the connection is TLS (``mqtts://``), verified against the system's CAs."""
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def shown(self) -> str:
        """The URL fit for a log line: its password is ``***``."""
        return redact_url(self.url)

    def _secrets(self) -> list[str]:
        password = urlsplit(self.url).password
        return [password, unquote(password)] if password else []

    def redact(self, text: str) -> str:
        """``text`` without this URL's password."""
        return redact_text(text, self._secrets())

    def connect(
        self, availability: Message, *, timeout: float = CONNECT_TIMEOUT_SECONDS
    ) -> Connection:
        """A connection that received the CONNACK, with ``availability`` as its last will
        (sent by the broker when the connection dies). Raises BrokerRefused, BrokerUnreachable."""
        connection = Connection(self, availability)
        connection.open(timeout)
        return connection


class Connection:
    """A live connection (its network loop in a thread of paho's); ``close`` ends it."""

    def __init__(self, broker: Broker, will: Message) -> None:
        self.broker = broker
        v5 = broker.protocol == "5"
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"dockwatch-{os.getpid()}-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if v5 else True,
            reconnect_on_failure=False,  # a lost connection is rebuilt by the publisher
        )
        parts = urlsplit(broker.url)
        if parts.username is not None:
            self.client.username_pw_set(
                unquote(parts.username), unquote(parts.password) if parts.password else None
            )
        if broker.tls:
            self.client.tls_set_context(ssl.create_default_context())
        self.client.will_set(will.topic, will.payload, qos=QOS, retain=will.retain)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_puback
        self._connack = threading.Event()
        self._lost = threading.Event()
        self._refusal: str | None = None

    def _on_connect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            self._refusal = str(reason)
            self._lost.set()
        self._connack.set()

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, _reason: Any, _props: Any
    ) -> None:
        self._lost.set()
        self._connack.set()

    def open(self, timeout: float) -> None:
        """Connect and wait for the CONNACK; raises BrokerRefused or BrokerUnreachable."""
        where = f"{self.broker.host}:{self.broker.port}"
        self.client.connect_timeout = timeout
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE_SECONDS)
        except (OSError, ValueError) as error:
            detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise BrokerUnreachable(self.broker.redact(f"{where}: {detail}")) from None
        raw = self.client.socket()
        if isinstance(raw, socket.socket):  # small messages go out at once, not after an ACK
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        if not self._connack.wait(timeout):
            self.close()
            raise BrokerUnreachable(f"{where}: no CONNACK within {timeout:g} s")
        if self._refusal is not None or self._lost.is_set():
            refusal = self._refusal
            self.close()
            if refusal in _REFUSALS:
                raise BrokerRefused(f"the broker at {self.broker.shown} refused us: {refusal}")
            raise BrokerUnreachable(f"{where}: {refusal or 'the connection closed'}")

    @property
    def connected(self) -> bool:
        """Whether the connection is still up."""
        return not self._lost.is_set()

    def publish(
        self, messages: Sequence[Message], *, timeout: float = PUBACK_TIMEOUT_SECONDS
    ) -> None:
        """Publish every message at QoS 1 and wait for all their PUBACKs; raises BrokerLost."""
        infos = []
        for message in messages:
            info = self.client.publish(
                message.topic, message.payload.encode(), qos=QOS, retain=message.retain
            )
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
                raise BrokerLost(f"cannot publish to {message.topic}: {paho.error_string(info.rc)}")
            infos.append(info)
        deadline = time.monotonic() + timeout
        for info in infos:
            while not info.is_published():
                if self._lost.is_set():
                    raise BrokerLost("the connection to the broker ended")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BrokerLost(f"no PUBACK within {timeout:g} s")
                try:
                    info.wait_for_publish(min(remaining, 0.25))
                except (RuntimeError, ValueError) as error:
                    raise BrokerLost(str(error)) from None

    def _on_puback(self, *_args: Any) -> None:
        """Acknowledge what the broker sent at once (Linux's TCP_QUICKACK, on every PUBACK).

        Brokers write each PUBACK as its own small segment and most (Mosquitto by default) keep
        Nagle's algorithm on: the second PUBACK of a batch waits for our TCP ACK of the first,
        which the kernel delays by up to 40 ms while we have nothing to send. Asking for a quick
        ACK right after reading a PUBACK sends the pending ACK now.
        """
        raw = self.client.socket()
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if isinstance(raw, socket.socket) and quickack is not None:
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.IPPROTO_TCP, quickack, 1)

    def close(self, *, goodbye: Message | None = None) -> None:
        """End the connection: publish ``goodbye`` first when given and still connected
        (waiting a short while for its PUBACK), then disconnect politely (the broker then sends
        no last will, so ``goodbye`` should say the same) and stop the network thread."""
        if goodbye is not None and self.connected:
            with contextlib.suppress(BrokerError):
                self.publish([goodbye], timeout=2.0)
        self.client.disconnect()
        self.client.loop_stop()
