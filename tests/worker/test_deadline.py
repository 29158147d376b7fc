"""A timeout bounds the whole exchange, connect to last byte, upstream and webhooks alike.

The servers are real and trickle their answers: every part arrives well within the timeout, the
whole answer only long after it (20 parts, 0.2 s apart, against a 1 s timeout). httpx's own
timeouts bound each read, so without a deadline every exchange here would succeed after ~4 s.
The pauses are the servers' (server-side waits); the tests wait for nothing but outcomes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from fake_upstream import FakeUpstream
from harness.sync_rig import SyncHarness
from harness.webhook_receiver import Dribble, WebhookReceiver
from models.store.db import session_scope
from models.store.webhook_endpoints import get_endpoint
from tests.cli_helpers import cli_env, run_cli
from tests.conftest import REDIS_URL
from tests.run_helpers import wait_until
from worker.cli import main as dockwatch_cli
from worker.notify.webhook_delivery import EndpointDelivery, RetryPolicy
from worker.notify.webhook_registry import register
from worker.notify.webhooks import post_event
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient, build_http_client
from worker.upstream.deadline import DeadlineExceeded, send_within
from worker.upstream.errors import UpstreamUnavailable

TIMEOUT = 1.0
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
T0 = dt.datetime(2025, 4, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def upstream_client(
    fake: FakeUpstream, redis_client: redis.Redis, redis_prefix: str
) -> Iterator[UpstreamClient]:
    budget = RequestBudget(
        redis_client, redis_prefix, 15, upstream_url="http://upstream.test/2.2.0"
    )
    http = build_http_client(fake.base_url + "/", None, TIMEOUT)
    client = UpstreamClient(http, budget, max_attempts=1, max_wait=0)
    yield client
    client.close()


# ------------------------------------------------------------------------------ upstream


def test_an_upstream_answer_trickling_past_the_timeout_is_a_failed_request(
    fake: FakeUpstream, upstream_client: UpstreamClient
) -> None:
    fake.faults.dribble(parts=20, interval=0.2, route="list")

    with pytest.raises(UpstreamUnavailable, match="no complete answer within 1 s") as raised:
        upstream_client.get_list({"limit": "10"})

    assert isinstance(raised.value.__cause__, DeadlineExceeded)
    assert upstream_client.requests_made == 1  # it reached upstream: it cost its request


def test_the_deadline_holds_on_a_reused_keep_alive_connection(fake: FakeUpstream) -> None:
    connects: list[str] = []

    def get(http: httpx.Client) -> httpx.Response:
        def trace(event: str, _info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                connects.append(event)

        request = http.build_request("GET", "/docking_event/?limit=1")
        request.extensions["trace"] = trace  # send_within chains a caller's trace
        return send_within(http, request)

    with httpx.Client(base_url=fake.base_url, timeout=TIMEOUT) as http:
        first = get(http)
        fake.faults.dribble(parts=20, interval=0.2)
        with pytest.raises(DeadlineExceeded, match="no complete answer within 1 s"):
            get(http)
        reused = len(connects) == 1  # the trickled answer came on the first one's connection
        again = get(http)

    assert reused
    assert first.json() == again.json()
    assert len(connects) == 2  # the cut connection was dropped, not reused
    assert fake.log.count() == 3


def test_a_deadline_failure_is_retried_per_policy_and_a_whole_answer_then_wins(
    fake: FakeUpstream, redis_client: redis.Redis, redis_prefix: str
) -> None:
    fake.faults.dribble(parts=20, interval=0.2, route="list")
    budget = RequestBudget(
        redis_client, redis_prefix, 15, upstream_url="http://upstream.test/2.2.0"
    )
    http = build_http_client(fake.base_url + "/", None, TIMEOUT)
    sleeps: list[float] = []
    client = UpstreamClient(
        http, budget, max_attempts=2, max_wait=1, max_total=60, sleep=sleeps.append
    )
    try:
        page = client.get_list({"limit": "10"})
    finally:
        client.close()

    assert len(page["results"]) == 10
    assert (client.requests_made, len(sleeps)) == (2, 1)


def test_a_sync_whose_pages_trickle_past_the_timeout_is_not_complete(
    engine: Engine, fake: FakeUpstream, redis_prefix: str
) -> None:
    fake.faults.dribble(parts=20, interval=0.2, times=None, route="list")
    rig = SyncHarness(engine, fake, redis_prefix, timeout=TIMEOUT, max_attempts=1)
    try:
        summary = rig.cycle()
    finally:
        rig.close()

    assert (summary.complete, summary.reason) == (False, "upstream")
    assert "no complete answer within 1 s" in str(summary.error)
    assert rig.local_events() == {}


def test_dockwatch_sync_against_a_trickling_upstream_fails_and_is_not_complete(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    fake.faults.dribble(parts=20, interval=0.2, times=None, route="list")
    env = cli_env(
        database_url,
        redis_prefix,
        fake.base_url,
        DOCKWATCH_HTTP_TIMEOUT_SECONDS="1",
        DOCKWATCH_HTTP_MAX_ATTEMPTS="1",
    )

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["complete"], summary["reason"], summary["created"]) == (False, "upstream", 0)
    assert "no complete answer within 1 s" in result.stderr


# ------------------------------------------------------------------------------ webhooks


def test_a_webhook_answer_trickling_past_the_timeout_is_not_a_delivery() -> None:
    with (
        WebhookReceiver([Dribble(parts=20, interval=0.2)]) as receiver,
        httpx.Client(timeout=TIMEOUT) as http,
    ):
        result = post_event(http, receiver.url, SECRET, {"id": "e1"})
        receiver.wait_for(1)

    assert not result.delivered
    assert result.status is None
    assert result.error == "DeadlineExceeded: no complete answer within 1 s"


def test_a_trickled_webhook_answer_is_retried_and_the_row_records_the_failure(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    with (
        WebhookReceiver([Dribble(parts=20, interval=0.2), 200]) as receiver,
        httpx.Client(timeout=TIMEOUT) as http,
    ):
        endpoint = register(
            engine, redis_client, stream, url=receiver.url, secret=SECRET, event_types=(), now=T0
        )
        assert endpoint.id is not None
        redis_client.xadd(stream, {"event": json.dumps({"id": "e1", "type": "x", "subject": "7"})})
        loop = EndpointDelivery(
            engine, redis_client, stream, endpoint.id, http, RetryPolicy(0.01, 0.05)
        )
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        receiver.wait_for(2)
        wait_until(lambda: row(engine, endpoint.id).delivered == 1, "the delivery recorded")
        loop.stop.set()
        thread.join(timeout=10)
        ids = receiver.ids()

    assert ids == ["e1", "e1"]  # the trickled answer was not a delivery: the entry went again
    state = row(engine, endpoint.id)
    assert (state.delivered, state.last_status, state.failures_in_a_row) == (1, 200, 0)


def row(engine: Engine, endpoint_id: int | None) -> Any:
    assert endpoint_id is not None
    with session_scope(engine) as session:
        return get_endpoint(session, endpoint_id)


def test_dockwatch_webhooks_test_against_a_trickling_receiver_is_not_delivered(
    database_url: str, redis_prefix: str
) -> None:
    env = {
        "DOCKWATCH_DATABASE_URL": database_url,
        "DOCKWATCH_REDIS_URL": REDIS_URL,
        "DOCKWATCH_STREAM": f"{redis_prefix}:events",
        "DOCKWATCH_WEBHOOK_TIMEOUT_SECONDS": "1",
    }
    runner = CliRunner()
    with WebhookReceiver([Dribble(parts=20, interval=0.2)]) as receiver:
        added = json.loads(
            runner.invoke(dockwatch_cli, ["webhooks", "add", receiver.url], env=env).stdout
        )
        tested = runner.invoke(dockwatch_cli, ["webhooks", "test", str(added["id"])], env=env)

    assert tested.exit_code == 1, tested.output
    assert tested.stdout == ""  # no status: nothing was delivered
    assert tested.stderr.endswith(
        "did not answer: DeadlineExceeded: no complete answer within 1 s\n"
    )
