"""Fleet-wide counters that outlive the processes counting: one Redis hash per counter family.

Every worker process increments (``HINCRBY <prefix>:counters:<family> <label value> 1``) and any
mirror process reads the hash at scrape time, so each ``/metrics`` shows the fleet's totals, not
its own. Redis is their home rather than the database because the counted work already depends
on it (no upstream request is sent without the Redis budget, no webhook is delivered without the
stream), increments from many processes need no transaction, lock or migration, and the counts
sit beside the budget they explain. They survive restarts of dockwatch's processes and, with
Redis persistence (``--appendonly yes``), of Redis; a Redis that loses its data starts them at
zero again, which Prometheus's ``rate()``/``increase()`` read as an ordinary counter reset.

Counting never gets in the way of the work counted: an increment that fails (Redis down) is
dropped with a debug log line. Each family lists its label values, so a value never counted
still reads as 0 (an alert on ``increase()`` sees the series from the start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis

from models.fleet.keys import FleetKeys
from models.support.stop_reason import StopReason

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CounterFamily:
    """A family of counters: its hash name, its label's name and every value that label takes."""

    name: str
    label: str
    values: tuple[str, ...]


# How sync cycles ended: ``complete``, or the summary's ``reason`` (a ``StopReason``).
CYCLE_COMPLETE = "complete"
SYNC_CYCLES = CounterFamily(
    "sync_cycles", "outcome", (CYCLE_COMPLETE, *(reason.value for reason in StopReason))
)
# Upstream requests sent, by the class of the status answered (``no_answer``: a transport error).
UPSTREAM_REQUESTS = CounterFamily(
    "upstream_requests", "status_class", ("1xx", "2xx", "3xx", "4xx", "5xx", "no_answer")
)
# Webhook delivery attempts, by how each ended: accepted (2xx), to be retried, given up on after
# the retry window (moved to the dead-letter stream), or answered 410 (endpoint disabled); and
# entries an endpoint's filter skipped (acknowledged without a request).
WEBHOOK_DELIVERIES = CounterFamily(
    "webhook_deliveries", "outcome", ("delivered", "retried", "dead_lettered", "gone", "skipped")
)
FAMILIES = (SYNC_CYCLES, UPSTREAM_REQUESTS, WEBHOOK_DELIVERIES)


def cycle_outcome(reason: StopReason | None) -> str:
    """The ``SYNC_CYCLES`` label of a cycle summary's ``reason`` (None: it completed)."""
    return CYCLE_COMPLETE if reason is None else reason.value


def status_class(status: int | None) -> str:
    """The ``UPSTREAM_REQUESTS`` label of an HTTP status (None: no answer came)."""
    if status is None or not 100 <= status < 600:
        return "no_answer"
    return f"{status // 100}xx"


def counter_key(key_prefix: str, family: CounterFamily) -> str:
    """The Redis hash holding ``family`` under ``key_prefix`` (``DOCKWATCH_KEY_PREFIX``)."""
    return FleetKeys(key_prefix).counters(family.name)


class SharedCounters:
    """The counter families of one deployment (``key_prefix``) on one Redis client."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self.client = client
        self.key_prefix = key_prefix

    def __repr__(self) -> str:
        return f"SharedCounters(key_prefix={self.key_prefix!r})"

    def increment(self, family: CounterFamily, value: str, amount: int = 1) -> None:
        """Add ``amount`` to ``family{label=value}``; a Redis failure drops the increment."""
        try:
            self.client.hincrby(counter_key(self.key_prefix, family), value, amount)
        except redis.RedisError as error:
            log.debug("counter %s{%s} not incremented: %s", family.name, value, error)

    def read(self, family: CounterFamily) -> dict[str, int]:
        """Every label value of ``family`` with its count (0 when never counted); raises
        ``redis.RedisError`` when Redis cannot answer."""
        stored: Any = self.client.hgetall(counter_key(self.key_prefix, family))
        counts = dict.fromkeys(family.values, 0)
        for raw_value, raw_count in stored.items():
            value = raw_value.decode() if isinstance(raw_value, bytes) else str(raw_value)
            counts[value] = int(raw_count)
        return counts
