"""``/metrics`` after a scripted story, read as Prometheus reads it: the fleet's view, value by
value.

The story runs real sync cycles on the fake upstream (fill, a docking and an undocking, a 429)
with the relay, a subscriber group and a webhook endpoint on a Redis of the test's own, then
stops that Redis. Every value read comes from the shared state: the mirror counts nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.http.fleet_metrics import FleetRedis
from fake_upstream import FakeUpstream, make_event
from harness.mirror_app import mirror_app
from harness.sync_rig import UPSTREAM_BASE, SyncHarness
from harness.webhook_receiver import WebhookReceiver
from tests.worker.notifications import free_port, own_redis
from worker.notify.outbox import record_changes
from worker.notify.relay import Relay
from worker.notify.subscriber import Subscriber
from worker.notify.webhook_delivery import EndpointDelivery
from worker.notify.webhook_registry import register
from worker.notify.webhooks import new_secret
from worker.sync.changes import Change

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "docs" / "alerts.yml"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Scrape:
    """One ``/metrics`` answer, parsed with prometheus_client's own parser."""

    def __init__(self, text: str) -> None:
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples: Samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in self.families.values()
            for sample in family.samples
        }

    def __getitem__(self, name: str) -> float:
        return self.samples[(name, ())]

    def labelled(self, name: str) -> dict[str, float]:
        """The samples of ``name`` by their one label's value."""
        return {
            labels[0][1]: value
            for (sample, labels), value in self.samples.items()
            if sample == name and len(labels) == 1
        }

    def names(self) -> set[str]:
        return {name for name, _labels in self.samples}

    def documented_names(self) -> set[str]:
        """The families as the README lists them (``_total`` on counters)."""
        return {
            f"{name}_total" if family.type == "counter" else name
            for name, family in self.families.items()
            if not name.endswith("_created")  # prometheus_client's creation timestamps
        }


def _record(session: Session, changes: Sequence[Change], now: dt.datetime) -> int:
    return record_changes(session, changes, upstream_base=UPSTREAM_BASE, now=now)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis server of the test's own, so the story can stop it."""
    port = free_port()
    with own_redis(port):
        yield f"redis://127.0.0.1:{port}/0"


def _cycles(scrape: Scrape) -> dict[str, float]:
    return scrape.labelled("dockwatch_sync_cycles_total")


def _no_cycles(**counts: float) -> dict[str, float]:
    outcomes = (
        "complete",
        "budget",
        "throttled",
        "backoff",
        "upstream",
        "lock_lost",
        "redis",
        "paced",
    )
    return {outcome: counts.get(outcome, 0.0) for outcome in outcomes}


def _requests(**counts: float) -> dict[str, float]:
    classes = ("1xx", "2xx", "3xx", "4xx", "5xx", "no_answer")
    return {name: counts.get(f"c{name}", 0.0) for name in classes}


def test_metrics_tell_the_story_of_fill_dock_throttle_and_redis_outage(
    engine: Engine, fake: FakeUpstream, redis_prefix: str, redis_url: str
) -> None:
    rig = SyncHarness(
        engine, fake, redis_prefix, limit_per_hour=100, record=_record, redis_url=redis_url
    )
    stream = f"{redis_prefix}:events"
    store = redis.Redis.from_url(redis_url)
    budget = rig.budget
    app = mirror_app(
        engine,
        clock=lambda: rig.now,
        budget=budget.usage,
        fleet_redis=FleetRedis(redis_url, redis_prefix, stream),
    )
    seen: set[str] = set()
    families: set[str] = set()
    with TestClient(app) as client:

        def scrape() -> Scrape:
            answer = client.get("/metrics")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain; version=")
            result = Scrape(answer.text)
            seen.update(result.names())
            families.update(result.documented_names())
            return result

        # Before anything: no data, so never fresh and stale.
        empty = scrape()
        assert (empty["dockwatch_database_up"], empty["dockwatch_redis_up"]) == (1, 1)
        assert math.isinf(empty["dockwatch_sync_last_success_age_seconds"])
        assert math.isinf(empty["dockwatch_sweep_last_complete_age_seconds"])
        assert (empty["dockwatch_stale"], empty["dockwatch_events_stored"]) == (1, 0)
        assert _cycles(empty) == _no_cycles()
        assert empty.families["dockwatch_sync_cycles"].type == "counter"

        # The first fill: 650 events in 7 pages, 12 of them still docked.
        assert rig.fill().requests == 7
        filled = scrape()
        assert filled["dockwatch_events_stored"] == 650
        assert filled["dockwatch_events_docked"] == 12
        assert filled["dockwatch_sync_last_success_age_seconds"] == 0
        assert filled["dockwatch_sweep_last_complete_age_seconds"] == 0
        assert filled["dockwatch_stale"] == 0
        assert _cycles(filled) == _no_cycles(complete=1)
        assert filled.labelled("dockwatch_upstream_requests_total") == _requests(c2xx=7)
        assert filled["dockwatch_upstream_budget_used"] == 7
        assert filled["dockwatch_upstream_budget_limit"] == 100
        assert filled["dockwatch_upstream_budget_next_slot_seconds"] == 0
        assert filled["dockwatch_upstream_retry_after_timestamp_seconds"] == 0
        assert filled["dockwatch_outbox_backlog"] == 0
        assert filled["dockwatch_outbox_oldest_age_seconds"] == 0
        assert filled.labelled("dockwatch_detection_latency_seconds") == {}
        assert filled["dockwatch_stream_length"] == 0

        # Readers of the stream: a subscriber group from the start and a webhook endpoint that
        # accepts the first notification and answers 410 Gone to the second.
        Subscriber(store, stream, group="app", consumer="c", from_start=True).ensure_group()
        with WebhookReceiver([200, 410]) as receiver:
            endpoint = register(
                engine,
                store,
                stream,
                url=receiver.url,
                secret=new_secret(),
                event_types=(),
                now=rig.now,
            )
            assert endpoint.id is not None

            # A docking seen 150 s after it happened, an undocking 200 s after.
            rig.advance(dt.timedelta(seconds=60))
            fake.add_event(make_event(99001, rig.now, now=rig.now))
            rig.advance(dt.timedelta(seconds=150))
            assert rig.cycle().created == 1
            leaving = next(
                event["id"]
                for event in fake.events
                if event["departure"] is None and event["id"] != 99001
            )
            fake.set_departure(leaving, rig.now)
            rig.advance(dt.timedelta(seconds=200))
            assert rig.cycle().updated == 1
            rig.advance(dt.timedelta(seconds=30))
            changed = scrape()
            assert changed.labelled("dockwatch_detection_latency_seconds") == {
                "docked": 150.0,
                "undocked": 200.0,
            }
            assert changed["dockwatch_outbox_backlog"] == 2
            assert changed["dockwatch_outbox_oldest_age_seconds"] == 230
            assert changed["dockwatch_events_stored"] == 651
            assert changed["dockwatch_events_docked"] == 12
            assert changed["dockwatch_sync_last_success_age_seconds"] == 30
            assert changed["dockwatch_sweep_last_complete_age_seconds"] == 440
            assert _cycles(changed) == _no_cycles(complete=3)
            assert changed.labelled("dockwatch_upstream_requests_total") == _requests(c2xx=9)
            assert changed["dockwatch_upstream_budget_used"] == 9

            # The relay publishes both; the subscriber takes one and has not acknowledged it;
            # the webhook gets the docking (200), then the undocking disables it (410).
            assert Relay(engine, store, stream, 7).publish_pending() == 2
            store.xreadgroup("app", "c", {stream: ">"}, count=1)
            with httpx.Client(timeout=5) as http:
                EndpointDelivery(
                    engine,
                    store,
                    stream,
                    endpoint.id,
                    http,
                    clock=lambda: rig.now,
                    counters=rig.counters,
                ).run()
            assert len(receiver.received) == 2
        relayed = scrape()
        assert (
            relayed["dockwatch_outbox_backlog"],
            relayed["dockwatch_outbox_oldest_age_seconds"],
        ) == (0, 0)
        assert relayed["dockwatch_stream_length"] == 2
        group = f"webhook:{endpoint.id}"
        assert relayed.labelled("dockwatch_stream_group_pending") == {"app": 1, group: 1}
        assert relayed.labelled("dockwatch_stream_group_lag") == {"app": 1, group: 0}
        assert relayed.labelled("dockwatch_webhook_deliveries_total") == {
            "delivered": 1,
            "retried": 0,
            "dead_lettered": 0,
            "gone": 1,
            "skipped": 0,
        }
        assert relayed["dockwatch_webhook_endpoints"] == 1
        assert relayed["dockwatch_webhook_endpoints_disabled"] == 1
        assert relayed["dockwatch_webhook_endpoints_failing"] == 0

        # A 429 with Retry-After: 600 (too long to sleep on): the deadline is kept fleet-wide,
        # the next cycle is held back by it, and once it has passed a poll goes through.
        rig.advance(dt.timedelta(seconds=300))
        fake.faults.throttle(retry_after=600)
        assert rig.cycle().reason == "throttled"
        deadline = rig.now.timestamp() + 600
        assert rig.cycle().reason == "throttled"  # held back by upstream's deadline, not the hour
        throttled = scrape()
        assert _cycles(throttled) == _no_cycles(complete=3, throttled=2)
        assert throttled.labelled("dockwatch_upstream_requests_total") == _requests(c2xx=9, c4xx=1)
        assert throttled["dockwatch_upstream_retry_after_timestamp_seconds"] == deadline
        assert throttled["dockwatch_upstream_budget_next_slot_seconds"] == 600
        assert throttled["dockwatch_upstream_budget_used"] == 10
        assert throttled["dockwatch_sync_last_success_age_seconds"] == 330
        rig.advance(dt.timedelta(seconds=601))
        assert rig.cycle().complete
        recovered = scrape()
        assert _cycles(recovered) == _no_cycles(complete=4, throttled=2)
        assert recovered["dockwatch_upstream_retry_after_timestamp_seconds"] == 0
        assert recovered["dockwatch_upstream_budget_next_slot_seconds"] == 0
        assert recovered["dockwatch_sync_last_success_age_seconds"] == 0

        # Redis goes away: its metrics are left out, the database's are still there.
        store.shutdown(nosave=True)
        rig.advance(dt.timedelta(seconds=100))
        assert rig.cycle().reason == "redis"
        outage = scrape()
        assert (outage["dockwatch_redis_up"], outage["dockwatch_database_up"]) == (0, 1)
        assert not {
            name
            for name in outage.names()
            if re.match(r"dockwatch_(sync_cycles|upstream|webhook_deliveries|stream)", name)
        }
        assert outage["dockwatch_events_stored"] == 651
        assert outage["dockwatch_sync_last_success_age_seconds"] == 100
        assert outage["dockwatch_webhook_endpoints_disabled"] == 1
    rig.close()
    store.close()
    unknown = alert_metric_names() - seen
    assert not unknown, f"docs/alerts.yml uses metrics /metrics never exposed: {sorted(unknown)}"
    assert readme_metric_names() == families


def readme_metric_names() -> set[str]:
    """The metrics the operations page's table lists."""
    page = (REPO / "docs" / "operations.md").read_text()
    rows = re.findall(r"^\| (`dockwatch_[^|]+)\|", page, re.M)
    return {name for row in rows for name in re.findall(r"`(dockwatch_[a-z0-9_]+)", row)}


def alert_metric_names() -> set[str]:
    """Every ``dockwatch_…`` series name used in an alert expression of ``docs/alerts.yml``."""
    rules: Any = yaml.safe_load(ALERTS.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return {name for expr in exprs for name in re.findall(r"\bdockwatch_[a-z0-9_]+", expr)}


def test_without_redis_the_database_metrics_stay_and_redis_up_says_so(engine: Engine) -> None:
    with TestClient(mirror_app(engine)) as client:
        scrape = Scrape(client.get("/metrics").text)
    assert (scrape["dockwatch_redis_up"], scrape["dockwatch_database_up"]) == (0, 1)
    assert scrape["dockwatch_events_stored"] == 0
    assert "dockwatch_stream_length" not in scrape.names()
    assert "dockwatch_sync_cycles_total" not in scrape.names()
