"""Read dockwatch notifications from the Redis Stream through a consumer group.

Usage::

    subscriber = Subscriber(redis.Redis(), "dockwatch:events", group="billing", consumer="a")
    subscriber.ensure_group()          # once; from_start=True replays the retained history
    for delivery in subscriber.events():
        handle(delivery.event)         # the CloudEvent as a dict
        subscriber.ack(delivery)       # only after handling: a crash means redelivery

or ``subscriber.consume(handle)``, which acknowledges each event its handler returned from.

Delivery is at-least-once; deduplicate by ``event["id"]``. Entries this consumer received but
never acknowledged before it restarted are delivered again first; entries left pending for
``claim_idle_ms`` (by a consumer that died, or by a handler that raised) are taken over with
``XAUTOCLAIM``, which spaces retries by that idle time. An entry
delivered ``max_deliveries`` times without an acknowledgement moves to the dead-letter stream
``<stream>:dead`` (fields ``event``, ``entry_id``, ``group``, ``consumer``, ``deliveries``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis

from models.fleet.stream import EVENT_FIELD, dead_letter_stream, entry_id_key, parse_entry, text
from models.support.compact_json import compact_json

log = logging.getLogger(__name__)

DEFAULT_MAX_DELIVERIES = 5
DEFAULT_CLAIM_IDLE_MS = 60_000
DEFAULT_BLOCK_MS = 5_000


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stream entry handed to this consumer; ``attempt`` counts its deliveries (1 = first)."""

    entry_id: str
    event: dict[str, Any]
    attempt: int


class Subscriber:
    """One consumer of a consumer group on the notification stream."""

    def __init__(
        self,
        client: redis.Redis,
        stream: str,
        *,
        group: str,
        consumer: str,
        from_start: bool = False,
        max_deliveries: int = DEFAULT_MAX_DELIVERIES,
        claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS,
        batch: int = 100,
    ) -> None:
        self.client, self.stream, self.group, self.consumer = client, stream, group, consumer
        self.from_start = from_start
        self.max_deliveries = max_deliveries
        self.claim_idle_ms = claim_idle_ms
        self.batch = batch
        # Position in our own unacknowledged entries, read once at start; None when done.
        self._own_cursor: str | None = "0"
        self._claim_cursor = "0-0"

    def ensure_group(self) -> bool:
        """Create the group (and the stream) unless it exists; returns whether it was created.

        A new group starts at the oldest retained entry with ``from_start``, else at new ones;
        an existing group always resumes where it left off.
        """
        start = "0" if self.from_start else "$"
        try:
            self.client.xgroup_create(self.stream, self.group, id=start, mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
            return False
        return True

    def fetch(self, block_ms: int | None = DEFAULT_BLOCK_MS) -> list[Delivery]:
        """The next deliveries: own pending first, then stale ones claimed, then new ones.

        Waits up to ``block_ms`` for new entries (``None``: do not wait).
        """
        if self._own_cursor is not None:
            reply = self.client.xreadgroup(
                self.group, self.consumer, {self.stream: self._own_cursor}, count=self.batch
            )
            entries = self._entries(reply)
            self._own_cursor = entries[-1][0] if entries else None
            retried = self._counted(entries)
            if retried:
                return retried
        claimed = self._counted(self._claim())
        if claimed:
            return claimed
        reply = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=block_ms
        )
        deliveries = []
        for entry_id, event in self._entries(reply):
            if event is None:
                self.client.xack(self.stream, self.group, entry_id)
            else:
                deliveries.append(Delivery(entry_id, event, 1))
        return deliveries

    def ack(self, *deliveries: Delivery) -> None:
        """Acknowledge handled deliveries: the group will not deliver them again."""
        if deliveries:
            self.client.xack(self.stream, self.group, *(d.entry_id for d in deliveries))

    def events(
        self, *, block_ms: int = DEFAULT_BLOCK_MS, stop: threading.Event | None = None
    ) -> Iterator[Delivery]:
        """Deliveries as they arrive, until ``stop`` is set (checked every ``block_ms``)."""
        while stop is None or not stop.is_set():
            yield from self.fetch(block_ms)

    def consume(
        self,
        handler: Callable[[dict[str, Any]], object],
        *,
        block_ms: int = DEFAULT_BLOCK_MS,
        stop: threading.Event | None = None,
    ) -> None:
        """Call ``handler`` on each event and acknowledge it once the handler returns.

        A raising handler leaves the entry pending: it comes back after ``claim_idle_ms``.
        """
        for delivery in self.events(block_ms=block_ms, stop=stop):
            try:
                handler(delivery.event)
            except Exception:
                log.exception(
                    "handler failed on %s (delivery %d)", delivery.entry_id, delivery.attempt
                )
                continue
            self.ack(delivery)

    def _entries(self, reply: Any) -> list[tuple[str, dict[str, Any] | None]]:
        entries: list[tuple[str, dict[str, Any] | None]] = []
        for _stream, items in reply or []:
            entries.extend(_pair(entry_id, fields) for entry_id, fields in items)
        return entries

    def _claim(self) -> list[tuple[str, dict[str, Any] | None]]:
        reply: Any = self.client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_cursor,
            count=self.batch,
        )
        self._claim_cursor = text(reply[0])
        return [_pair(entry_id, fields) for entry_id, fields in reply[1]]

    def _counted(self, entries: list[tuple[str, dict[str, Any] | None]]) -> list[Delivery]:
        """Redeliveries with their delivery counts; trimmed or exhausted entries are settled."""
        if not entries:
            return []
        ids = [entry_id for entry_id, _ in entries]
        pending: Any = self.client.xpending_range(
            self.stream,
            self.group,
            min=min(ids, key=entry_id_key),
            max=max(ids, key=entry_id_key),
            count=len(ids) * 10 + 100,
            consumername=self.consumer,
        )
        counts = {text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        deliveries = []
        for entry_id, event in entries:
            attempt = counts.get(entry_id, 1)
            if event is None:
                self.client.xack(self.stream, self.group, entry_id)
            elif attempt > self.max_deliveries:
                self.dead_letter(entry_id, event, attempt - 1)
            else:
                deliveries.append(Delivery(entry_id, event, attempt))
        return deliveries

    def dead_letter(self, entry_id: str, event: dict[str, Any], deliveries: int) -> None:
        """Move an entry to the dead-letter stream and acknowledge it, in one transaction."""
        log.warning(
            "moving %s to %s after %d deliveries",
            entry_id,
            dead_letter_stream(self.stream),
            deliveries,
        )
        pipe = self.client.pipeline(transaction=True)
        fields = {
            EVENT_FIELD: compact_json(event),
            "entry_id": entry_id,
            "group": self.group,
            "consumer": self.consumer,
            "deliveries": str(deliveries),
        }
        pipe.xadd(dead_letter_stream(self.stream), fields)  # type: ignore[arg-type]
        pipe.xack(self.stream, self.group, entry_id)
        pipe.execute()


def _pair(entry_id: Any, fields: dict[Any, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """An entry as (id, event); the event is None when the entry was trimmed while pending, or
    when its ``event`` field is not a JSON object (not written by dockwatch: another writer on
    the stream), which is logged once as it is skipped."""
    try:
        entry = parse_entry(entry_id, fields)
    except ValueError as error:  # not JSON (or not UTF-8), or JSON but not an object
        log.warning(
            "skipping stream entry %s: its event field is not a CloudEvent JSON object (%s)",
            text(entry_id),
            type(error).__name__,
        )
        return text(entry_id), None
    return entry.entry_id, entry.event
