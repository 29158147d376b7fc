"""Webhooks are signed per Standard Webhooks, retried with backoff, and disabled by a 410."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import redis

from worker.notify.webhooks import (
    Endpoint,
    Outcome,
    deliver,
    disabled_key,
    enable,
    run_webhook_forever,
    sign,
    verify,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """A real HTTP endpoint answering scripted statuses and keeping what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int]) -> Receiver:
        receiver = Receiver(statuses)
        threading.Thread(target=receiver.server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(receiver.server)
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def no_sleep(_seconds: float) -> None:
    """Backoff switched off: the test checks what is retried, not how long it waits."""


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example from the Standard Webhooks specification.
    body = b'{"test": 2432232314}'
    signature = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)

    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_delivery_is_signed_with_the_cloudevent_id(receiver_factory: Any) -> None:
    receiver = receiver_factory([200])
    event = {"specversion": "1.0", "id": "abc123", "subject": "615"}

    with httpx.Client() as http:
        outcome = deliver(http, Endpoint(receiver.url, SECRET), event, sleep=no_sleep)

    headers, body = receiver.received[0]
    assert outcome is Outcome.DELIVERED
    assert headers["webhook-id"] == "abc123"
    assert json.loads(body) == event
    assert verify(SECRET, headers, body, now=time.time())
    assert not verify(SECRET, headers, body + b" ", now=time.time())


def test_failures_are_retried_until_an_answer_succeeds(receiver_factory: Any) -> None:
    receiver = receiver_factory([500, 503, 200])

    with httpx.Client() as http:
        outcome = deliver(http, Endpoint(receiver.url, SECRET), {"id": "x"}, sleep=no_sleep)

    assert outcome is Outcome.DELIVERED
    assert len(receiver.received) == 3
    assert {headers["webhook-id"] for headers, _ in receiver.received} == {"x"}


def test_credentials_in_an_endpoint_url_are_sent_as_auth_and_never_logged(
    receiver_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = receiver_factory([500, 200])
    url = receiver.url.replace("http://", "http://hook-user:H00k-s3cret@")
    for name in (None, "httpx"):  # `dockwatch` without -v quiets httpx: other tests ran it
        caplog.set_level(logging.DEBUG, logger=name)

    with httpx.Client() as http:
        outcome = deliver(http, Endpoint(url, SECRET), {"id": "x"}, sleep=no_sleep)

    assert outcome is Outcome.DELIVERED
    expected = "Basic " + base64.b64encode(b"hook-user:H00k-s3cret").decode()
    assert [headers["authorization"] for headers, _ in receiver.received] == [expected] * 2
    assert "webhook http://127.0.0.1:" in caplog.text  # the retry was logged, with its url
    assert "H00k-s3cret" not in caplog.text
    assert "hook-user" not in caplog.text


def test_an_endpoint_failing_every_attempt_reports_failure(receiver_factory: Any) -> None:
    receiver = receiver_factory([500] * 10)

    with httpx.Client() as http:
        outcome = deliver(
            http, Endpoint(receiver.url, SECRET), {"id": "x"}, attempts=3, sleep=no_sleep
        )

    assert outcome is Outcome.FAILED
    assert len(receiver.received) == 3


def test_gone_disables_the_endpoint_and_leaves_the_event_pending(
    receiver_factory: Any, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    receiver = receiver_factory([200, 410])
    endpoint = Endpoint(receiver.url, SECRET)
    redis_client.xgroup_create(stream, f"webhook:{endpoint.key}", id="0", mkstream=True)
    for n in (1, 2, 3):
        redis_client.xadd(stream, {"event": json.dumps({"id": f"e{n}"})})

    with httpx.Client() as http:
        outcome = run_webhook_forever(redis_client, http, endpoint, stream=stream, sleep=no_sleep)
        again = run_webhook_forever(redis_client, http, endpoint, stream=stream, sleep=no_sleep)

    assert (outcome, again) == (Outcome.GONE, Outcome.GONE)
    assert [headers["webhook-id"] for headers, _ in receiver.received] == ["e1", "e2"]
    assert redis_client.exists(disabled_key(stream, endpoint))
    enable(redis_client, stream, endpoint)
    assert not redis_client.exists(disabled_key(stream, endpoint))


def test_the_webhook_loop_delivers_new_events_in_order(
    receiver_factory: Any, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    receiver = receiver_factory([])
    endpoint = Endpoint(receiver.url, SECRET)
    stop = threading.Event()
    redis_client.xgroup_create(stream, f"webhook:{endpoint.key}", id="0", mkstream=True)
    for n in range(5):
        redis_client.xadd(stream, {"event": json.dumps({"id": f"e{n}"})})

    def stop_after_the_last(response: httpx.Response) -> None:
        if response.request.headers["webhook-id"] == "e4":
            stop.set()  # the loop returns once this batch is done

    with httpx.Client(event_hooks={"response": [stop_after_the_last]}) as http:
        run_webhook_forever(redis_client, http, endpoint, stream=stream, stop=stop)

    assert [h["webhook-id"] for h, _ in receiver.received] == [f"e{n}" for n in range(5)]
    pending: Any = redis_client.xpending(stream, f"webhook:{endpoint.key}")
    assert pending["pending"] == 0
