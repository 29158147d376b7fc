"""Webhook delivery: each endpoint reads the stream through its own consumer group, in its thread.

``run_webhooks_forever`` looks at the endpoint table every ``poll_seconds`` and keeps one
thread per enabled endpoint (a new endpoint is picked up, a removed or disabled one's thread
ends), so a slow or dead endpoint delays only itself. An endpoint's thread delivers its entries
in stream order, one at a time:

- an entry the endpoint's filter (types, stations, vehicles) does not match is skipped: counted
  on its row (``skipped``) and acknowledged, with no request, no retry and no dead letter, so it
  never holds up the entries after it. The filter is read from the row for each entry, so a
  changed filter (``dockwatch webhooks update``) applies from the next entry on, even to one
  being retried;
- a 2xx acknowledges the entry;
- ``410 Gone`` disables the endpoint (its row says why) and leaves the entry pending, so
  ``dockwatch webhooks enable`` resumes with it;
- anything else (another status, no complete answer within the client's timeout, a refused
  connection) is retried after an
  exponential backoff with jitter (``RetryPolicy``), or after the endpoint's ``Retry-After``
  when that is longer. The schedule lives on the endpoint's row (failures in a row, the first
  failure of the run, the next attempt), so a restarted process keeps to it.
- Once an endpoint has been failing for ``RetryPolicy.window`` (a day, at least), the entry
  being retried goes to the dead-letter stream ``<stream>:dead`` (with ``group`` naming the
  endpoint's) and the next one is tried; while the failures go on, each later entry gets one
  attempt before it follows. The first success ends the run of failures.

The endpoint's position is its consumer group's: an entry is acknowledged only once its outcome
(delivered, skipped, dead-lettered) is written on the row, so a crash in between settles it again
after the restart (at-least-once, as for every subscriber).
Every attempt is written on the endpoint's row (``models.store.webhook_endpoints.record_attempt``).
Logs name an endpoint by its id and its URL without query string or credentials.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from dataclasses import dataclass, field

import httpx
import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from models.fleet.counters import WEBHOOK_DELIVERIES, SharedCounters
from models.ll2.formats import format_instant
from models.store.db import session_scope
from models.store.tables import WebhookEndpoint
from models.store.webhook_endpoints import (
    Attempt,
    EndpointNotFound,
    consumer_group,
    endpoint_filter,
    get_endpoint,
    list_endpoints,
    record_attempt,
    record_skip,
    set_enabled,
)
from models.support.clock import Clock, utc_now
from models.support.redact import without_credentials
from worker.notify.subscriber import Delivery, Subscriber
from worker.notify.webhooks import PostResult, post_event

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400.0
# A Retry-After is honoured up to this long; a larger value is taken as this.
MAX_RETRY_AFTER_SECONDS = DAY_SECONDS
DEFAULT_POLL_SECONDS = 2.0
CONSUMER = "deliver"
# Attempts are counted on the endpoint's row, not by the group's delivery count.
_NEVER_DEAD_LETTER = 1 << 62


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: the ``n``-th failure in a row waits ``first_wait·2ⁿ⁻¹``
    seconds (capped at ``max_wait``), scaled by a random factor in [0.5, 1]; a ``Retry-After``
    longer than that is waited instead. Entries are retried while the endpoint has been failing
    for less than ``window`` seconds."""

    first_wait: float = 5.0
    max_wait: float = 3600.0
    window: float = DAY_SECONDS

    def wait(self, failures: int, retry_after: float | None) -> float:
        """Seconds before the next attempt after ``failures`` failures in a row (≥ 1)."""
        nominal = min(self.first_wait * 2.0 ** min(failures - 1, 60), self.max_wait)
        jittered = nominal * random.uniform(0.5, 1.0)  # spreads endpoints recovering together
        if retry_after is None:
            return jittered
        return max(jittered, min(retry_after, MAX_RETRY_AFTER_SECONDS))


@dataclass
class EndpointDelivery:
    """The delivery loop of one endpoint (``run``), until ``stop`` or it is removed or disabled."""

    engine: Engine
    redis: redis.Redis
    stream: str
    endpoint_id: int
    http: httpx.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Clock = utc_now
    poll_seconds: float = DEFAULT_POLL_SECONDS
    block_ms: int = 1000
    counters: SharedCounters | None = None  # fleet-wide attempts by outcome, when given

    def run(self) -> None:
        """Deliver entries in order; returns when stopped, removed, disabled or on a fault."""
        # The group was made at `add` (at the stream's end). If it is missing now, Redis lost it
        # (a restart without persistence, which also lost the stream): every entry the stream
        # holds since then is one this endpoint has not had, so a re-made group starts at the
        # oldest retained entry, never at "new ones only".
        subscriber = Subscriber(
            self.redis,
            self.stream,
            group=consumer_group(self.endpoint_id),
            consumer=CONSUMER,
            from_start=True,
            max_deliveries=_NEVER_DEAD_LETTER,
            batch=10,
        )
        subscriber.ensure_group()
        while not self.stop.is_set() and self._current() is not None:
            for delivery in subscriber.fetch(self.block_ms):
                if not self._deliver(subscriber, delivery):
                    return

    def _current(self) -> WebhookEndpoint | None:
        """The endpoint's row now, or None when it was removed or disabled."""
        try:
            with session_scope(self.engine) as session:
                endpoint = get_endpoint(session, self.endpoint_id)
        except EndpointNotFound:
            return None
        return endpoint if endpoint.enabled else None

    def _deliver(self, subscriber: Subscriber, delivery: Delivery) -> bool:
        """Settle one entry; False when the loop must end (stopped, removed, disabled)."""
        while True:
            endpoint = self._await_turn(delivery)
            if endpoint is None:
                return False
            if not endpoint_filter(endpoint).matches(delivery.event):
                self._count("skipped")
                with session_scope(self.engine) as session:
                    record_skip(session, self.endpoint_id)
                subscriber.ack(delivery)
                return True
            result = post_event(
                self.http, endpoint.url, endpoint.secret, delivery.event, clock=self.clock
            )
            settled = self._settle(subscriber, delivery, endpoint, result)
            if settled is not None:
                return settled

    def _await_turn(self, delivery: Delivery) -> WebhookEndpoint | None:
        """Wait for the row's next attempt time, re-reading the row every ``poll_seconds``; an
        entry the row's filter does not match is the caller's to skip at once."""
        while not self.stop.is_set():
            endpoint = self._current()
            if endpoint is None:
                return None
            if not endpoint_filter(endpoint).matches(delivery.event):
                return endpoint
            due = endpoint.next_attempt_at
            remaining = 0.0 if due is None else (due - self.clock()).total_seconds()
            if remaining <= 0:
                return endpoint
            self.stop.wait(min(remaining, self.poll_seconds))
        return None

    def _settle(
        self,
        subscriber: Subscriber,
        delivery: Delivery,
        endpoint: WebhookEndpoint,
        result: PostResult,
    ) -> bool | None:
        """Record the attempt; True/False when the entry is settled, None to try it again."""
        now = self.clock()
        shown = f"webhook {self.endpoint_id} ({without_credentials(endpoint.url)})"
        outcome = result.error or f"HTTP {result.status}"
        if result.delivered:
            self._count("delivered")
            self._record(Attempt(now, result.status, None, True, None))
            subscriber.ack(delivery)
            return True
        if result.gone:
            self._count("gone")
            self._record(Attempt(now, result.status, None, False, None))
            with session_scope(self.engine) as session:
                reason = f"answered 410 Gone at {format_instant(now)}"
                set_enabled(session, self.endpoint_id, False, reason=reason)
            log.warning("%s answered 410 Gone: disabled (dockwatch webhooks enable)", shown)
            return False
        failures = endpoint.failures_in_a_row + 1
        failing_for = (now - (endpoint.failing_since or now)).total_seconds()
        if failing_for >= self.policy.window:
            self._count("dead_lettered")
            self._record(Attempt(now, result.status, result.error, False, None))
            subscriber.dead_letter(delivery.entry_id, delivery.event, failures)
            log.warning("%s failing for %.0f s: entry %s dead-lettered", shown, failing_for,
                        delivery.entry_id)  # fmt: skip
            return True
        wait = self.policy.wait(failures, result.retry_after)
        self._count("retried")
        self._record(
            Attempt(now, result.status, result.error, False, now + dt.timedelta(seconds=wait))
        )
        log.warning("%s failed (%s), attempt %d; retry in %.1f s", shown, outcome, failures, wait)
        return None

    def _count(self, outcome: str) -> None:
        if self.counters is not None:
            self.counters.increment(WEBHOOK_DELIVERIES, outcome)

    def _record(self, attempt: Attempt) -> None:
        with session_scope(self.engine) as session:
            record_attempt(session, self.endpoint_id, attempt)


def run_webhooks_forever(
    engine: Engine,
    redis_client: redis.Redis,
    http: httpx.Client,
    *,
    stream: str,
    stop: threading.Event,
    policy: RetryPolicy | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    counters: SharedCounters | None = None,
) -> None:
    """Keep one delivery thread per enabled endpoint until ``stop``; a thread that fails
    (Redis or the database down) is started again at a later look, with a growing pause.
    ``counters`` counts every attempt by outcome (``WEBHOOK_DELIVERIES``)."""
    running: dict[int, tuple[threading.Thread, threading.Event]] = {}
    retry_at: dict[int, float] = {}
    pause: dict[int, float] = {}
    while not stop.is_set():
        clock = time.monotonic()
        try:
            with session_scope(engine) as session:
                wanted = {e.id for e in list_endpoints(session, enabled_only=True) if e.id}
        except SQLAlchemyError as error:
            log.warning("cannot read the webhook endpoints: %s", str(error).splitlines()[0])
            wanted = set(running)
        for endpoint_id, (thread, own_stop) in list(running.items()):
            if endpoint_id not in wanted:
                own_stop.set()
            if not thread.is_alive():
                del running[endpoint_id]
                if not own_stop.is_set():  # it ended on a fault: try again later
                    pause[endpoint_id] = min(pause.get(endpoint_id, 1.0) * 2, 60.0)
                    retry_at[endpoint_id] = clock + pause[endpoint_id]
        for endpoint_id in sorted(wanted - set(running)):
            if retry_at.get(endpoint_id, 0.0) > clock:
                continue
            own_stop = threading.Event()
            loop = EndpointDelivery(
                engine,
                redis_client,
                stream,
                endpoint_id,
                http,
                policy or RetryPolicy(),
                own_stop,
                counters=counters,
            )
            thread = threading.Thread(
                target=_guarded, args=(loop,), name=f"webhook-{endpoint_id}", daemon=True
            )
            thread.start()
            running[endpoint_id] = (thread, own_stop)
        stop.wait(poll_seconds)
    for _thread, own_stop in running.values():
        own_stop.set()
    for thread, _ in running.values():
        thread.join(timeout=10)


def _guarded(loop: EndpointDelivery) -> None:
    """Run one endpoint's loop; Redis or database faults end it with one warning."""
    try:
        loop.run()
    except (redis.RedisError, SQLAlchemyError) as error:
        # The error itself is the argument: a process collapsing Redis outages into one line
        # (``dockwatch run``, ``dockwatch webhooks deliver``) recognises the record by it.
        log.warning("webhook %d delivery stopped: %s", loop.endpoint_id, error)
