"""The MQTT publisher's loop: the stream in, the broker out, nothing lost, nothing stale.

``MqttPublisher.run`` connects (last will: ``offline`` on the availability topic), says
``online``, republishes every retained topic from the database (discovery and state: a broker
restarted without persistence, or a topic someone cleared, converges at each connect), then reads
the notification stream through its own consumer group. For each batch of entries it publishes
their events, then the retained topics the batch changed (the state is read again from the
database, which the entries' commits wrote), waits for every PUBACK and only then acknowledges
the entries (``XACK``). A lost connection, a Redis or database fault leaves the entries pending:
the next connection republishes the state and handles them again (at least once). Between
entries the state is re-read every ``refresh_seconds`` (the freshness of the last sync moves
without notifications) and republished whole every ``republish_seconds``.

An unreachable broker is one warning when the outage starts and one line when it ends; a broker
that refuses the credentials raises ``BrokerRefused`` (a setting must change). Redis outages log
through the process's outage filter (one line each way).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from worker.notify.mqtt.broker import (
    Broker,
    BrokerLost,
    BrokerRefused,
    BrokerUnreachable,
    Connection,
    Message,
)
from worker.notify.mqtt.discovery import discovery_messages
from worker.notify.mqtt.events import event_messages
from worker.notify.mqtt.state import read_fleet, state_messages
from worker.notify.mqtt.topics import OFFLINE, ONLINE, Topics
from worker.notify.subscriber import Delivery, Subscriber

log = logging.getLogger(__name__)

CONSUMER = "publisher"
MAX_PAUSE_SECONDS = 30.0
# A broker that went away is tried again at least this often.
MAX_RECONNECT_SECONDS = 10.0
# A connection lost sooner than this after it was made is retried after a pause, not at once.
STEADY_SECONDS = 5.0


def group_name(topics: Topics) -> str:
    """The publisher's consumer group on the stream (one per topic prefix)."""
    return f"mqtt:{topics.prefix}"


@dataclass
class MqttPublisher:
    """Publishes dockwatch's state and notifications to one broker until ``stop``."""

    engine: Engine
    redis: redis.Redis
    stream: str
    broker: Broker
    topics: Topics
    version: str
    block_ms: int = 1000
    refresh_seconds: float = 5.0
    republish_seconds: float = 900.0
    # How the loop pauses (tests may count the pauses): ``stop.wait`` by default.
    sleep: Callable[[threading.Event, float], object] = field(default=threading.Event.wait)
    # What the broker holds of ours (topic → payload), as far as this connection knows.
    _published: dict[str, str] = field(default_factory=dict)
    _group_made: bool = False

    def run(self, stop: threading.Event) -> None:
        """Connect, publish, reconnect after a loss, until ``stop``; raises BrokerRefused."""
        outage_since: float | None = None
        pause = 1.0
        while not stop.is_set():
            try:
                connection = self.broker.connect(self._availability(OFFLINE))
            except BrokerRefused:
                raise
            except BrokerUnreachable as error:
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning(
                        "MQTT broker unreachable at %s (%s); retrying. Start the broker or check"
                        " DOCKWATCH_MQTT_URL.",
                        self.broker.shown,
                        error,
                    )
                else:
                    log.debug("MQTT broker still unreachable: %s", error)
                self.sleep(stop, pause)
                pause = min(pause * 2, MAX_RECONNECT_SECONDS)
                continue
            connected_at = time.monotonic()
            if outage_since is not None:
                log.info(
                    "MQTT broker is back at %s after %.0f s; republishing the retained state",
                    self.broker.shown,
                    time.monotonic() - outage_since,
                )
                outage_since = None
            else:
                log.info("connected to the MQTT broker at %s", self.broker.shown)
            try:
                self.serve(connection, stop)
            except BrokerLost as error:
                outage_since = time.monotonic()
                log.warning(
                    "lost the MQTT broker at %s (%s); reconnecting", self.broker.shown, error
                )
            finally:
                connection.close(goodbye=self._availability(OFFLINE) if stop.is_set() else None)
            if time.monotonic() - connected_at < STEADY_SECONDS:  # lost at once: do not spin
                self.sleep(stop, pause)
                pause = min(pause * 2, MAX_RECONNECT_SECONDS)
            else:
                pause = 1.0

    def _availability(self, payload: str) -> Message:
        return Message(self.topics.status, payload, retain=True)

    def serve(self, connection: Connection, stop: threading.Event) -> None:
        """One connection's life: say online, republish everything, then follow the stream.

        After a Redis or database fault everything is republished again before the next entry
        (a group Redis lost is made again; the entries left pending come back first).
        """
        self._published = {}
        connection.publish([self._availability(ONLINE)])
        subscriber: Subscriber | None = None
        stale = True
        last_read = last_full = time.monotonic()
        pause = 0.5
        while not stop.is_set():
            if not connection.connected:
                raise BrokerLost("the connection to the broker ended")
            try:
                if subscriber is None:
                    subscriber = self._subscriber()
                if stale:
                    self.converge(connection, full=True)
                    stale = False
                    last_read = last_full = time.monotonic()
                deliveries = subscriber.fetch(self.block_ms)
                if deliveries:
                    self.handle(connection, subscriber, deliveries)
                    last_read = time.monotonic()
                now = time.monotonic()
                if now - last_full >= self.republish_seconds:
                    stale = True
                elif now - last_read >= self.refresh_seconds:
                    self.converge(connection)
                    last_read = now
                pause = 0.5
                continue
            except redis.RedisError as error:
                if "NOGROUP" in str(error):  # Redis restarted without persistence
                    log.info("the MQTT publisher's consumer group is gone: making it again")
                else:  # the error is the argument: the outage filter recognises the record
                    log.warning("the MQTT publisher cannot read the stream: %s", error)
            except SQLAlchemyError as error:
                log.warning(
                    "the MQTT publisher cannot read the database: %s",
                    str(error).splitlines()[0],
                )
            subscriber, stale = None, True
            self.sleep(stop, pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)

    def _subscriber(self) -> Subscriber:
        # A group made at this process's first start begins at new entries: the state
        # republished from the database covers what came before. One made again later (Redis
        # lost it, with the stream, in a restart without persistence) begins at the oldest
        # entry: everything the stream holds since then is new to us. A group's own pending
        # entries come back first on every start.
        subscriber = Subscriber(
            self.redis,
            self.stream,
            group=group_name(self.topics),
            consumer=CONSUMER,
            from_start=self._group_made,
            max_deliveries=1 << 62,  # never dead-lettered: a broker outage is no bad entry
            batch=100,
        )
        subscriber.ensure_group()
        self._group_made = True
        return subscriber

    def handle(
        self, connection: Connection, subscriber: Subscriber, deliveries: Sequence[Delivery]
    ) -> None:
        """Publish the entries' events and the state they changed; acknowledge them once the
        broker acknowledged it all."""
        events = [m for delivery in deliveries for m in event_messages(delivery.event, self.topics)]
        connection.publish(events)
        self.converge(connection)
        subscriber.ack(*deliveries)

    def retained(self) -> list[Message]:
        """Every retained message from the database now (discovery first, then state)."""
        with Session(self.engine) as session:
            fleet = read_fleet(session)
        return [
            *discovery_messages(fleet, self.topics, self.version),
            *state_messages(fleet, self.topics),
        ]

    def converge(self, connection: Connection, *, full: bool = False) -> int:
        """Publish the retained topics that differ from what this connection published (all
        with ``full``), clearing the ones that are gone; returns how many went out."""
        wanted = {message.topic: message for message in self.retained()}
        changed = [m for t, m in wanted.items() if full or self._published.get(t) != m.payload]
        gone = [Message(topic, "", retain=True) for topic in self._published if topic not in wanted]
        connection.publish([*changed, *gone])
        self._published = {topic: message.payload for topic, message in wanted.items()}
        return len(changed) + len(gone)
