"""The upstream client against scripted upstreams (httpx.MockTransport, and one real socket)."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import httpx
import pytest
import redis

from tests.worker.budget_helpers import try_acquire
from tests.worker.client_doubles import (
    BASE,
    EVENT,
    PAGE,
    START,
    TOKEN,
    FakeTime,
    Upstream,
    http_client,
    json_reply,
)
from worker.upstream.budget import RequestBudget
from worker.upstream.client import USER_AGENT, UpstreamClient, build_http_client
from worker.upstream.errors import (
    BudgetExhausted,
    PayloadError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)


def test_a_list_page_costs_one_request_from_the_budget(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, budget: RequestBudget
) -> None:
    client = make_client()
    assert client.get_list({"mode": "detailed", "limit": "100"}) == PAGE
    (request,) = upstream.requests
    assert str(request.url) == f"{BASE}/docking_event/?mode=detailed&limit=100"
    assert client.requests_made == 1
    assert budget.usage().used == 1


def test_every_retry_spends_from_the_budget_too(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, budget: RequestBudget
) -> None:
    upstream.script(json_reply(502, {}), json_reply(500, {}), json_reply(200, PAGE))
    client = make_client()
    assert client.get_list({}) == PAGE
    assert client.requests_made == len(upstream.requests) == 3
    assert budget.usage().used == 3


def test_an_exhausted_budget_sends_nothing(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, budget: RequestBudget
) -> None:
    for _ in range(15):
        budget.acquire()
    client = make_client()
    with pytest.raises(BudgetExhausted):
        client.get_list({})
    assert (client.requests_made, upstream.requests) == (0, [])


def test_a_budget_running_out_between_retries_stops_the_retries(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    fake_time: FakeTime,
) -> None:
    for _ in range(13):
        budget.acquire()
    upstream.script(json_reply(500, {}))
    client = make_client(max_attempts=5)
    with pytest.raises(BudgetExhausted):
        client.get_list({})
    assert client.requests_made == 2
    assert len(fake_time.sleeps) == 2  # slept before the third try, which the budget refused


def test_429_with_retry_after_beyond_max_wait_is_persisted_and_raised_without_sleeping(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    fake_time: FakeTime,
) -> None:
    upstream.script(json_reply(429, {"detail": "throttled"}, {"Retry-After": "120"}))
    client = make_client(max_wait=60)
    with pytest.raises(UpstreamThrottled) as raised:
        client.get_list({})
    assert (raised.value.retry_after, raised.value.not_before) == (120.0, START + 120)
    assert raised.value.status == 429
    assert fake_time.sleeps == []
    assert client.requests_made == 1
    assert budget.usage().not_before == START + 120
    with pytest.raises(BudgetExhausted):  # the whole fleet holds off, this client included
        client.get_list({})


def test_429_with_short_retry_after_is_slept_then_retried(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    redis_client: redis.Redis,
    fake_time: FakeTime,
) -> None:
    upstream.script(json_reply(429, {}, {"Retry-After": "2"}), json_reply(200, PAGE))
    client = make_client(max_wait=60)
    assert client.get_list({}) == PAGE
    assert fake_time.sleeps == [2.0]
    assert client.requests_made == 2
    assert float(cast("bytes", redis_client.get(budget.not_before_key))) == START + 2


def test_retry_after_as_an_http_date_is_honoured(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    when = format_datetime(datetime.fromtimestamp(START + 30, tz=UTC), usegmt=True)
    upstream.script(json_reply(429, {}, {"Retry-After": when}), json_reply(200, PAGE))
    assert make_client(max_wait=60).get_list({}) == PAGE
    assert fake_time.sleeps == [30.0]


def test_503_with_retry_after_is_persisted_for_the_whole_fleet(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    redis_client: redis.Redis,
    redis_prefix: str,
    fake_time: FakeTime,
) -> None:
    upstream.script(json_reply(503, {}, {"Retry-After": "600"}))
    with pytest.raises(UpstreamThrottled) as raised:
        make_client(max_wait=60).get_list({})
    assert raised.value.status == 503
    elsewhere = RequestBudget(
        redis_client,
        redis_prefix,
        15,
        clock=fake_time.clock,
        upstream_url="http://upstream.test/2.2.0",
    )
    assert elsewhere.usage().not_before == START + 600
    assert not try_acquire(elsewhere)


def test_429_without_retry_after_backs_off_and_retries(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(json_reply(429, {}), json_reply(200, PAGE))
    assert make_client().get_list({}) == PAGE
    assert len(fake_time.sleeps) == 1
    assert 1.0 <= fake_time.sleeps[0] <= 2.0


def test_server_errors_are_retried_then_raise_unavailable(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(json_reply(502, {"detail": "bad gateway"}))
    client = make_client(max_attempts=3, max_wait=60)
    with pytest.raises(UpstreamUnavailable) as raised:
        client.get_list({})
    assert raised.value.status == 502
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)
    assert client.requests_made == 3
    assert len(fake_time.sleeps) == 2


def test_transport_errors_are_retried_then_raise_unavailable(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(httpx.ReadError("connection reset by peer"))
    client = make_client(max_attempts=4)
    with pytest.raises(UpstreamUnavailable, match="ReadError"):
        client.get_event(7)
    assert client.requests_made == 4


def test_a_transient_fault_then_success_returns_the_page(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(httpx.ReadTimeout("slow"), json_reply(200, PAGE))
    assert make_client().get_list({}) == PAGE


def test_credentials_in_the_base_url_are_basic_auth_and_never_in_a_url_or_log_line(
    upstream: Upstream, budget: RequestBudget, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (None, "httpx"):  # `dockwatch` without -v quiets httpx: other tests ran it
        caplog.set_level(logging.DEBUG, logger=name)
    base = BASE.replace("https://", "https://reader:s3cret%40pw@")
    with http_client(upstream, token=None, base=base) as http:
        client = UpstreamClient(http, budget, max_attempts=1, max_wait=0)
        assert client.get_list({}) == PAGE

    [request] = upstream.requests
    assert str(request.url) == f"{BASE}/docking_event/"
    expected = "Basic " + base64.b64encode(b"reader:s3cret@pw").decode()
    assert request.headers["authorization"] == expected
    assert "HTTP Request: GET https://ll.example/2.2.0/docking_event/" in caplog.text
    assert "s3cret" not in caplog.text
    assert "s3cret" not in repr(client)


def test_a_missing_event_is_none(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(json_reply(404, {"detail": "No DockingEvent matches the given query."}))
    client = make_client()
    assert client.get_event(615) is None
    assert str(upstream.requests[0].url) == f"{BASE}/docking_event/615/"
    assert client.requests_made == 1


def test_an_event_is_returned_as_upstream_sent_it(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(json_reply(200, EVENT))
    assert make_client().get_event(7) == EVENT


def test_a_bad_request_is_rejected_without_retry(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(json_reply(400, {"space_station__id": ["Enter a number."]}))
    client = make_client()
    with pytest.raises(UpstreamRejected, match="Enter a number") as raised:
        client.get_list({"space_station__id": "abc"})
    assert raised.value.status == 400
    assert (client.requests_made, fake_time.sleeps) == (1, [])


def test_a_404_on_the_list_is_rejected_not_none(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(json_reply(404, {"detail": "Not found."}))
    with pytest.raises(UpstreamRejected):
        make_client().get_list({})


def test_truncated_json_is_retried_then_raises_payload_error(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(httpx.Response(200, content=b'{"count": 3, "results": [{"id": 1}, {"i'))
    client = make_client(max_attempts=3)
    with pytest.raises(PayloadError, match="not valid JSON"):
        client.get_list({})
    assert client.requests_made == 3
    assert len(fake_time.sleeps) == 2


def test_a_truncated_page_then_a_whole_one_recovers(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(httpx.Response(200, content=b'{"count": 1, "resu'), json_reply(200, PAGE))
    assert make_client().get_list({}) == PAGE


@pytest.mark.parametrize(
    "body", [[1, 2], {"count": 1}, {"results": []}, {"count": 1, "results": "nope"}, "null"]
)
def test_a_page_of_the_wrong_shape_is_a_payload_error(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, body: object
) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    upstream.script(httpx.Response(200, content=content))
    with pytest.raises(PayloadError, match="expected shape"):
        make_client(max_attempts=2).get_list({})


def test_an_event_without_an_id_is_a_payload_error(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(json_reply(200, {"detail": "odd"}))
    with pytest.raises(PayloadError):
        make_client(max_attempts=1).get_event(7)


def test_a_next_link_on_our_host_is_followed_over_our_scheme(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    client = make_client()
    link = "http://ll.example/2.2.0/docking_event/?limit=100&mode=detailed&offset=100"
    assert client.get_url(link) == PAGE
    assert str(upstream.requests[0].url) == "https" + link.removeprefix("http")


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/2.2.0/docking_event/?offset=100",
        "https://ll.example:8443/2.2.0/docking_event/?offset=100",
        "https://ll.example/2.3.0/docking_event/?offset=100",
    ],
)
def test_a_next_link_elsewhere_is_refused_without_spending(
    make_client: Callable[..., UpstreamClient],
    upstream: Upstream,
    budget: RequestBudget,
    link: str,
) -> None:
    with pytest.raises(PayloadError):
        make_client().get_url(link)
    assert upstream.requests == []
    assert budget.usage().used == 0


def test_the_total_time_cap_ends_retries_early(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(json_reply(429, {}, {"Retry-After": "30"}))
    client = make_client(max_attempts=10, max_wait=60, max_total=45)
    with pytest.raises(UpstreamThrottled):
        client.get_list({})
    assert fake_time.sleeps == [30.0]
    assert client.requests_made == 2


def test_the_client_sends_token_user_agent_and_accept(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    make_client().get_list({})
    headers = upstream.requests[0].headers
    assert headers["Authorization"] == f"Token {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("dockwatch/")


def test_no_authorization_header_without_a_token(upstream: Upstream) -> None:
    for token in (None, "", "  "):
        with http_client(upstream, token) as http:
            http.get("docking_event/")
    assert all("Authorization" not in request.headers for request in upstream.requests)


def test_timeouts_are_explicit() -> None:
    with build_http_client(BASE, None, timeout=12.5) as http:
        assert http.timeout == httpx.Timeout(12.5)
        assert str(http.base_url) == f"{BASE}/"


def test_a_token_with_whitespace_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="whitespace") as raised:
        build_http_client(BASE, "abc\ndef", timeout=5)
    assert "abc" not in str(raised.value)


class _ScriptedHandler(BaseHTTPRequestHandler):
    """Real-socket upstream: answers in the order the server's ``script`` lists."""

    def do_GET(self) -> None:
        status, body, headers = self.server.script.pop(0)  # type: ignore[attr-defined]
        self.server.seen.append(self.headers.get("Authorization"))  # type: ignore[attr-defined]
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def real_upstream() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
    server.script = []  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_token_is_sent_but_never_logged_raised_or_shown(
    real_upstream: ThreadingHTTPServer,
    budget: RequestBudget,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "worker"):
        caplog.set_level(logging.DEBUG, logger=name)
    host, port = cast("tuple[str, int]", real_upstream.server_address[:2])
    real_upstream.script = [  # type: ignore[attr-defined]
        (500, {"detail": "boom"}, {}),
        (429, {"detail": "slow down"}, {"Retry-After": "1"}),
        (200, PAGE, {}),
        (400, {"ordering": ["bad"]}, {}),
        *[(200, b'{"id": 1, "dock', {})] * 3,
        (429, {}, {"Retry-After": "3600"}),
    ]
    errors: list[Exception] = []
    with build_http_client(f"http://{host}:{port}/2.2.0", TOKEN, timeout=5) as http:
        client = UpstreamClient(
            http, budget, max_attempts=3, max_wait=60, sleep=fake_time.sleep, clock=fake_time.clock
        )
        assert client.get_list({}) == PAGE
        calls: list[Callable[[], object]] = [
            lambda: client.get_list({}),
            lambda: client.get_event(1),
        ]
        for call in calls:
            with pytest.raises((UpstreamRejected, PayloadError, UpstreamThrottled)) as raised:
                call()
            errors.append(raised.value)
        with pytest.raises(UpstreamThrottled) as throttled:
            client.get_list({})
        errors.append(throttled.value)
        shown = [repr(client), repr(http.headers), repr(budget)]

    assert real_upstream.seen == [f"Token {TOKEN}"] * 8  # type: ignore[attr-defined]
    assert any(record.name.startswith("httpx") for record in caplog.records)
    assert any(record.name == "worker.upstream.retry" for record in caplog.records)
    assert TOKEN not in caplog.text
    for error in errors:
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error)
    for text in shown:
        assert TOKEN not in text
