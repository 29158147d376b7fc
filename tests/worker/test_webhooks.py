"""Webhooks: Standard Webhooks signatures, and delivery against a real receiver.

Each endpoint is a row in the test's database with its own consumer group on the test's stream;
the receiver is a real HTTP server. Backoff waits are shrunk (``FAST``) or driven by a clock the
test moves, so nothing here depends on how long anything takes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook, WebhookVerificationError

from harness.webhook_receiver import WebhookReceiver
from models.fleet.counters import WEBHOOK_DELIVERIES, SharedCounters
from models.fleet.stream import DOCKED, UNDOCKED, dead_letter_stream, text
from models.store.db import session_scope
from models.store.webhook_endpoints import consumer_group, get_endpoint, set_enabled, set_filter
from tests.run_helpers import free_port, wait_until
from worker.notify.webhook_delivery import (
    EndpointDelivery,
    RetryPolicy,
    run_webhooks_forever,
)
from worker.notify.webhook_registry import EndpointUrlError, check_url, register, unregister
from worker.notify.webhooks import (
    SecretError,
    check_secret,
    new_secret,
    post_event,
    signed_headers,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FAST = RetryPolicy(first_wait=0.01, max_wait=0.05)
T0 = dt.datetime(2025, 4, 4, 12, 0, tzinfo=dt.UTC)


class MovableClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def stream(redis_prefix: str) -> str:
    return f"{redis_prefix}:events"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def publish(client: redis.Redis, stream: str, *ids: str, kind: str = DOCKED) -> None:
    for ident in ids:
        client.xadd(stream, {"event": json.dumps({"id": ident, "type": kind, "subject": "7"})})


def docking(
    ident: str, station: tuple[int, str], craft: tuple[int, str], kind: str = DOCKED
) -> dict[str, Any]:
    """A notification about a docking at ``station`` of ``craft`` (each an id and a name)."""
    event = {
        "id": 1,
        "docking_location": {"id": 1, "spacestation": {"id": station[0], "name": station[1]}},
        "flight_vehicle": {"id": 900, "spacecraft": {"id": craft[0], "name": craft[1]}},
    }
    return {"id": ident, "type": kind, "subject": "1", "data": {"docking_event": event}}


def publish_events(client: redis.Redis, stream: str, *events: dict[str, Any]) -> list[str]:
    """XADD each event; returns the entry ids."""
    return [text(client.xadd(stream, {"event": json.dumps(event)})) for event in events]


def add(
    engine: Engine,
    client: redis.Redis,
    stream: str,
    url: str,
    *types: str,
    stations: tuple[str, ...] = (),
    vehicles: tuple[str, ...] = (),
) -> int:
    endpoint = register(
        engine,
        client,
        stream,
        url=url,
        secret=SECRET,
        event_types=types,
        now=T0,
        stations=stations,
        vehicles=vehicles,
    )
    assert endpoint.id is not None
    return endpoint.id


def group_state(client: redis.Redis, stream: str, endpoint_id: int) -> tuple[str, int]:
    """The endpoint's group: the last entry id it was handed and how many it has pending."""
    [info] = [
        g for g in client.xinfo_groups(stream) if text(g["name"]) == consumer_group(endpoint_id)
    ]
    return text(info["last-delivered-id"]), int(info["pending"])


def row(engine: Engine, endpoint_id: int) -> Any:
    with session_scope(engine) as session:
        return get_endpoint(session, endpoint_id)


def start(loop: EndpointDelivery) -> threading.Thread:
    """Run ``loop`` in a thread; the caller stops it (``loop.stop``) and joins it."""
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    return thread


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example from the Standard Webhooks specification.
    moment = dt.datetime.fromtimestamp(1614265330, dt.UTC)
    headers = signed_headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", '{"test": 2432232314}', moment)

    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"


def test_a_delivery_verifies_with_standard_webhooks_and_carries_the_cloudevent(
    http: httpx.Client,
) -> None:
    event = {"specversion": "1.0", "id": "abc123", "type": "docking_event.docked", "subject": "9"}
    with WebhookReceiver([204]) as receiver:
        result = post_event(http, receiver.url, SECRET, event)
        [request] = receiver.wait_for(1)

    assert result.delivered
    assert request.headers["webhook-id"] == "abc123"
    assert request.headers["content-type"] == "application/cloudevents+json"
    assert Webhook(SECRET).verify(request.body, request.headers) == event
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body + b" ", request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)


def test_a_refused_connection_is_a_result_that_never_quotes_the_url(http: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook?token=s3cret"
    result = post_event(http, url, SECRET, {"id": "x"})

    assert result.status is None
    assert not result.delivered
    assert result.error is not None
    assert "s3cret" not in result.error
    assert "127.0.0.1" not in result.error


def test_secrets_are_generated_and_checked() -> None:
    secret = new_secret()
    assert check_secret(secret) == secret
    assert Webhook(secret).sign("m", T0, "{}").startswith("v1,")
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="):
        with pytest.raises(SecretError):
            check_secret(bad)


def test_endpoint_urls_must_be_http_without_credentials() -> None:
    assert check_url("https://hooks.example/in?token=x") == "https://hooks.example/in?token=x"
    for bad in ("ftp://hooks.example/", "https://user:pw@hooks.example/", "not a url", "http://"):
        with pytest.raises(EndpointUrlError) as caught:
            check_url(bad)
        assert "pw" not in str(caught.value)


def test_the_default_policy_retries_for_a_day_with_growing_jittered_waits() -> None:
    policy = RetryPolicy()
    waits = [policy.wait(n, None) for n in range(1, 40)]

    assert policy.window >= 86_400
    assert all(policy.first_wait / 2 <= wait <= policy.max_wait for wait in waits)
    assert waits[10] > waits[0]
    assert policy.wait(1, 600.0) == 600.0  # a Retry-After longer than the backoff wins
    assert policy.wait(1, 10**9) == 86_400  # ... within reason


def test_failures_are_retried_until_a_success_and_the_row_tells(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    with WebhookReceiver([500, 503, 200]) as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish(redis_client, stream, "e1", "e2")
        loop = EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST)
        thread = start(loop)
        receiver.wait_for(4)
        wait_until(lambda: row(engine, endpoint_id).delivered == 2, "both deliveries recorded")
        loop.stop.set()
        thread.join(timeout=10)

    assert receiver.ids() == ["e1", "e1", "e1", "e2"]
    state = row(engine, endpoint_id)
    assert (state.last_status, state.failures_in_a_row, state.next_attempt_at) == (200, 0, None)
    assert state.failing_since is None
    pending: Any = redis_client.xpending(stream, consumer_group(endpoint_id))
    assert pending["pending"] == 0


def test_retry_after_is_honoured(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    clock = MovableClock(T0)
    with WebhookReceiver([(503, {"Retry-After": "120"}), 200]) as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish(redis_client, stream, "e1")
        loop = EndpointDelivery(
            engine, redis_client, stream, endpoint_id, http, FAST, clock=clock, poll_seconds=0.05
        )
        thread = start(loop)
        receiver.wait_for(1)
        failed = wait_until(
            lambda: (r := row(engine, endpoint_id)).next_attempt_at and r, "the failure recorded"
        )
        clock.now = failed.next_attempt_at  # the Retry-After has passed
        receiver.wait_for(2)
        wait_until(lambda: row(engine, endpoint_id).delivered == 1, "the delivery recorded")
        loop.stop.set()
        thread.join(timeout=10)

    assert (failed.last_status, failed.failures_in_a_row) == (503, 1)
    assert failed.next_attempt_at - failed.last_attempt_at >= dt.timedelta(seconds=120)
    assert receiver.ids() == ["e1", "e1"]


def test_gone_disables_the_endpoint_and_enable_resumes_with_the_pending_entry(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    with WebhookReceiver([200, 410]) as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish(redis_client, stream, "e1", "e2", "e3")
        EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST).run()
        disabled = row(engine, endpoint_id)
        after_gone = receiver.ids()

        with session_scope(engine) as session:
            set_enabled(session, endpoint_id, True)
        loop = EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST)
        thread = start(loop)
        receiver.wait_for(4)
        loop.stop.set()
        thread.join(timeout=10)

    assert after_gone == ["e1", "e2"]
    assert not disabled.enabled
    assert "410" in disabled.disabled_reason
    assert disabled.last_status == 410
    assert receiver.ids() == ["e1", "e2", "e2", "e3"]


def test_an_endpoint_failing_past_the_window_dead_letters_the_entry(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    clock = MovableClock(T0)
    policy = RetryPolicy(first_wait=60, max_wait=60, window=3600)
    with WebhookReceiver([500] * 10) as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish(redis_client, stream, "e1", "e2")
        loop = EndpointDelivery(
            engine, redis_client, stream, endpoint_id, http, policy, clock=clock, poll_seconds=0.05
        )
        thread = start(loop)
        for attempts in range(1, 4):  # attempts at 0, 20 and 40 min; the one at 60 gives up
            planned = wait_until(
                lambda n=attempts: (r := row(engine, endpoint_id)).failures_in_a_row == n and r,
                "a retry planned",
            )
            clock.now = max(planned.next_attempt_at, T0 + dt.timedelta(seconds=1200 * attempts))
        dead = wait_until(lambda: redis_client.xrange(dead_letter_stream(stream)), "dead letter")
        receiver.wait_for(5)  # e2 gets one attempt, the run of failures goes on: dead too
        wait_until(lambda: len(redis_client.xrange(dead_letter_stream(stream))) == 2, "e2 dead")
        loop.stop.set()
        thread.join(timeout=10)

    assert receiver.ids() == ["e1"] * 4 + ["e2"]
    fields = {key.decode(): value.decode() for key, value in dead[0][1].items()}
    assert json.loads(fields["event"])["id"] == "e1"
    assert fields["group"] == consumer_group(endpoint_id)
    state = row(engine, endpoint_id)
    assert state.failures_in_a_row == 5
    assert state.failing_since == T0
    pending: Any = redis_client.xpending(stream, consumer_group(endpoint_id))
    assert pending["pending"] == 0


def test_a_dead_endpoint_delays_only_itself_and_new_endpoints_are_picked_up(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    stop = threading.Event()
    dead_id = add(engine, redis_client, stream, f"http://127.0.0.1:{free_port()}/refused")
    fleet = threading.Thread(
        target=run_webhooks_forever,
        args=(engine, redis_client, http),
        kwargs={"stream": stream, "stop": stop, "policy": RetryPolicy(), "poll_seconds": 0.1},
        daemon=True,
    )
    fleet.start()
    try:
        publish(redis_client, stream, "e1")
        wait_until(lambda: row(engine, dead_id).next_attempt_at, "the dead endpoint's failure")
        with WebhookReceiver() as receiver:
            live_id = add(engine, redis_client, stream, receiver.url)
            publish(redis_client, stream, "e2", "e3")
            receiver.wait_for(2)
            wait_until(lambda: row(engine, live_id).delivered == 2, "the live deliveries")
            unregister(engine, redis_client, stream, live_id)
            groups = {g["name"].decode() for g in redis_client.xinfo_groups(stream)}
    finally:
        stop.set()
        fleet.join(timeout=15)

    assert receiver.ids() == ["e2", "e3"]  # registered after e1: it starts after it
    dead = row(engine, dead_id)
    assert dead.delivered == 0
    assert dead.failures_in_a_row >= 1
    assert dead.last_status is None
    assert dead.last_error.startswith("ConnectError")
    assert groups == {consumer_group(dead_id)}
    assert not fleet.is_alive()


def test_an_endpoint_with_types_gets_only_those(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    with WebhookReceiver() as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url, "docking_event.undocked")
        publish(redis_client, stream, "d1")
        publish(redis_client, stream, "u1", kind="docking_event.undocked")
        publish(redis_client, stream, "d2")
        publish(redis_client, stream, "u2", kind="docking_event.undocked")
        loop = EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST)
        thread = start(loop)
        receiver.wait_for(2)
        wait_until(
            lambda: redis_client.xpending(stream, consumer_group(endpoint_id))["pending"] == 0,
            "every entry settled",
        )
        loop.stop.set()
        thread.join(timeout=10)

    assert receiver.ids() == ["u1", "u2"]
    assert row(engine, endpoint_id).skipped == 2


ISS = (4, "International Space Station")
TIANGONG = (18, "Tiangong space station")
ENDEAVOUR = (77, "Crew Dragon Endeavour")
SHENZHOU = (150, "Shenzhou 19")


def test_a_filtered_endpoint_gets_only_what_it_matches_and_an_unfiltered_one_everything(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client, redis_prefix: str
) -> None:
    events = [
        docking("iss-endeavour", ISS, ENDEAVOUR),
        docking("tiangong-shenzhou", TIANGONG, SHENZHOU),
        docking("iss-endeavour-undocked", ISS, ENDEAVOUR, kind=UNDOCKED),
        docking("tiangong-endeavour", TIANGONG, ENDEAVOUR),
        docking("iss-endeavour-2", ISS, ENDEAVOUR),
        docking("iss-shenzhou", ISS, SHENZHOU),  # the last entry is one the filter skips
    ]
    counters = SharedCounters(redis_client, redis_prefix)
    with WebhookReceiver() as filtered, WebhookReceiver() as everything:
        filtered_id = add(
            engine, redis_client, stream, filtered.url, DOCKED,
            stations=("international space station",), vehicles=("77",),
        )  # fmt: skip
        everything_id = add(engine, redis_client, stream, everything.url)
        entry_ids = publish_events(redis_client, stream, *events)
        loops = [
            EndpointDelivery(engine, redis_client, stream, ident, http, FAST, counters=counters)
            for ident in (filtered_id, everything_id)
        ]
        threads = [start(loop) for loop in loops]
        everything.wait_for(6)
        filtered.wait_for(2)
        wait_until(lambda: row(engine, filtered_id).skipped == 4, "the skipped entries counted")
        wait_until(lambda: group_state(redis_client, stream, filtered_id)[1] == 0, "all settled")
        wait_until(lambda: row(engine, everything_id).delivered == 6, "every delivery recorded")
        for loop, thread in zip(loops, threads, strict=True):
            loop.stop.set()
            thread.join(timeout=10)
        # A restarted delivery resumes after the skipped entries: nothing is sent again.
        later = publish_events(redis_client, stream, docking("iss-endeavour-3", ISS, ENDEAVOUR))
        loop = EndpointDelivery(engine, redis_client, stream, filtered_id, http, FAST)
        thread = start(loop)
        filtered.wait_for(3)
        wait_until(lambda: group_state(redis_client, stream, filtered_id) == (later[0], 0), "e3")
        loop.stop.set()
        thread.join(timeout=10)

    assert filtered.ids() == ["iss-endeavour", "iss-endeavour-2", "iss-endeavour-3"]
    assert everything.ids() == [event["id"] for event in events]
    kept = row(engine, filtered_id)
    assert (kept.delivered, kept.skipped, kept.failures_in_a_row) == (3, 4, 0)
    assert row(engine, everything_id).skipped == 0
    assert group_state(redis_client, stream, everything_id) == (entry_ids[-1], 0)
    assert counters.read(WEBHOOK_DELIVERIES)["skipped"] == 4
    assert counters.read(WEBHOOK_DELIVERIES)["delivered"] == 8
    assert not redis_client.exists(dead_letter_stream(stream))


def test_a_filter_changed_while_an_entry_is_retried_skips_it_and_the_next_one_goes(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    clock = MovableClock(T0)  # never moves: the failed entry's retry never comes due
    with WebhookReceiver([500]) as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish_events(
            redis_client, stream,
            docking("tiangong", TIANGONG, SHENZHOU), docking("iss", ISS, ENDEAVOUR),
        )  # fmt: skip
        loop = EndpointDelivery(
            engine, redis_client, stream, endpoint_id, http, FAST, clock=clock, poll_seconds=0.05
        )
        thread = start(loop)
        wait_until(lambda: row(engine, endpoint_id).next_attempt_at, "the retry planned")
        with session_scope(engine) as session:
            set_filter(session, endpoint_id, stations=["ISS, 4"])
        receiver.wait_for(2)
        wait_until(lambda: row(engine, endpoint_id).delivered == 1, "the delivery recorded")
        loop.stop.set()
        thread.join(timeout=10)

    assert receiver.ids() == ["tiangong", "iss"]  # the skipped entry was not tried again
    state = row(engine, endpoint_id)
    assert (state.skipped, state.failures_in_a_row, state.next_attempt_at) == (1, 0, None)
    assert state.stations == ["ISS", "4"]
    assert not redis_client.exists(dead_letter_stream(stream))
    assert group_state(redis_client, stream, endpoint_id)[1] == 0


def test_a_group_redis_lost_is_made_again_from_the_oldest_retained_entry(
    engine: Engine, redis_client: redis.Redis, stream: str, http: httpx.Client
) -> None:
    with WebhookReceiver() as receiver:
        endpoint_id = add(engine, redis_client, stream, receiver.url)
        publish(redis_client, stream, "before")
        loop = EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST)
        thread = start(loop)
        receiver.wait_for(1)
        loop.stop.set()
        thread.join(timeout=10)
        # Redis restarts without persistence: the stream and the endpoint's group are gone, and
        # the relay publishes to a new stream before the delivery thread comes back.
        redis_client.delete(stream)
        publish(redis_client, stream, "after-restart-1", "after-restart-2")
        loop = EndpointDelivery(engine, redis_client, stream, endpoint_id, http, FAST)
        thread = start(loop)
        receiver.wait_for(3)
        loop.stop.set()
        thread.join(timeout=10)

    assert receiver.ids() == ["before", "after-restart-1", "after-restart-2"]
