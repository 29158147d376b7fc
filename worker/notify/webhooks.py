"""Signed webhooks: notifications POSTed to an HTTP endpoint per the Standard Webhooks spec.

Each CloudEvent is sent as the request body (``application/cloudevents+json``, structured
mode) with ``webhook-id`` (the CloudEvent id, so receivers deduplicate), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``
keyed with the ``whsec_``-prefixed base64 secret). A 2xx answer is a delivery; anything else,
or a transport error, is retried with exponential backoff and jitter; ``410 Gone`` disables
the endpoint (a Redis flag, cleared by ``enable``) and is never retried.

``run_webhook_forever`` feeds one endpoint from its own consumer group, so an endpoint that is
down only delays itself: its entries stay pending and come back (or reach the dead-letter
stream) through the subscriber's normal reclaiming. A retried entry can then arrive after
later ones; receivers order by the CloudEvent ``sequence`` and deduplicate by ``webhook-id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import redis

from models.compact_json import compact_json
from models.redact import without_credentials
from worker.notify.subscriber import Subscriber
from worker.upstream.client import credentials_as_auth

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
DEFAULT_ATTEMPTS = 5
BACKOFF_INITIAL_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
# Receivers reject signatures older than this (the spec's suggested replay window).
TOLERANCE_SECONDS = 300


class Outcome(StrEnum):
    """How one delivery ended."""

    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed; the entry stays pending for a later retry
    GONE = "gone"  # 410: the endpoint asked to be disabled


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to send notifications and the secret that signs them (``whsec_…``)."""

    url: str
    secret: str

    @property
    def key(self) -> str:
        """A short stable name for Redis keys and the consumer group."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def display(self) -> str:
        """The URL as log lines show it: no credentials, no query string (it may hold a token)."""
        return without_credentials(self.url)


def _secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one message."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> bool:
    """Whether a received webhook is authentic and fresh (what a receiver should check)."""
    try:
        msg_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id, timestamp, body)
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def deliver(
    http: httpx.Client,
    endpoint: Endpoint,
    event: dict[str, Any],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """POST one CloudEvent, retrying failures with backoff; 410 is final."""
    body = compact_json(event).encode()
    delay = BACKOFF_INITIAL_SECONDS
    url, auth = credentials_as_auth(endpoint.url)
    for attempt in range(1, attempts + 1):
        timestamp = int(clock())
        headers = {
            "content-type": "application/cloudevents+json",
            "webhook-id": str(event["id"]),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(endpoint.secret, str(event["id"]), timestamp, body),
        }
        try:
            response = http.post(
                url, content=body, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.TransportError as error:
            reason = f"{type(error).__name__}: {error}"
        else:
            if response.is_success:
                return Outcome.DELIVERED
            if response.status_code == httpx.codes.GONE:
                return Outcome.GONE
            reason = f"HTTP {response.status_code}"
        if attempt < attempts:
            log.warning(
                "webhook %s attempt %d failed (%s); retry in %.1f s",
                endpoint.display,
                attempt,
                reason,
                delay,
            )
            sleep(delay * random.uniform(0.5, 1.0))  # jitter: endpoints recovering get spread out
            delay = min(delay * 2, BACKOFF_MAX_SECONDS)
    log.warning("webhook %s: %d attempts failed for %s", endpoint.display, attempts, event["id"])
    return Outcome.FAILED


def disabled_key(stream: str, endpoint: Endpoint) -> str:
    """The Redis flag marking an endpoint disabled (by a 410)."""
    return f"{stream}:webhook:{endpoint.key}:disabled"


def enable(client: redis.Redis, stream: str, endpoint: Endpoint) -> None:
    """Re-enable an endpoint that answered 410 (an operator's decision)."""
    client.delete(disabled_key(stream, endpoint))


def run_webhook_forever(
    client: redis.Redis,
    http: httpx.Client,
    endpoint: Endpoint,
    *,
    stream: str,
    stop: threading.Event | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    claim_idle_ms: int = 60_000,
) -> Outcome | None:
    """Deliver the stream to one endpoint until ``stop``; returns ``GONE`` if it was disabled."""
    if client.exists(disabled_key(stream, endpoint)):
        log.warning("webhook %s is disabled (it answered 410)", endpoint.display)
        return Outcome.GONE
    subscriber = Subscriber(
        client,
        stream,
        group=f"webhook:{endpoint.key}",
        consumer="sender",
        claim_idle_ms=claim_idle_ms,
    )
    subscriber.ensure_group()
    for delivery in subscriber.events(stop=stop):
        outcome = deliver(http, endpoint, delivery.event, attempts=attempts, sleep=sleep)
        if outcome is Outcome.DELIVERED:
            subscriber.ack(delivery)
        elif outcome is Outcome.GONE:
            client.set(disabled_key(stream, endpoint), "410")
            log.warning("webhook %s answered 410 Gone: disabled", endpoint.display)
            return Outcome.GONE
    return None
