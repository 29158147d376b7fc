"""CORS: browser apps on other origins can read every answer, and their preflights are answered.

``DOCKWATCH_CORS_ORIGINS`` (``*`` by default, or a comma-separated list of origins) is read by
``dockwatch serve`` and handed to the app; with ``*`` no header copied from upstream changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from api_mirror.http.routes.events import EventFeed
from api_mirror.live.fanout import StreamFanout
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from settings import Settings, SettingsError, load_settings
from tests.api_mirror.dataset import make_events, store
from tests.cli_helpers import cli_env, run_cli, start_cli
from tests.conftest import REDIS_URL
from tests.run_helpers import free_port, wait_until

LIST = "/2.2.0/docking_event/"
APP = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "if-none-match, authorization",
}


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with Session(engine) as session:
        store(session, make_events(5))
    return engine


@pytest.fixture
def client(stored: Engine) -> Iterator[TestClient]:
    with TestClient(mirror_app(stored, check_seconds=None)) as client:
        yield client


def test_a_normal_answer_carries_allow_origin_any_and_keeps_upstreams_headers(
    client: TestClient,
) -> None:
    for headers in ({}, {"Origin": APP}):
        answer = client.get(LIST, headers=headers)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-expose-headers"] == "ETag, Allow"
        # Nothing upstream sends changes: Vary stays Accept, Allow stays GET.
        assert answer.headers.get_list("vary") == ["Accept"]
        assert answer.headers["allow"] == "GET"


def test_304s_from_the_app_and_from_the_fast_path_carry_it(client: TestClient) -> None:
    first = client.get(LIST + "?limit=2")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    # A repeat is answered by the fast path (from the kept answer) ...
    cached = client.get(LIST + "?limit=2", headers={"If-None-Match": etag, "Origin": APP})
    # ... a request never answered before by the app.
    fresh = client.get(LIST + "?limit=3", headers={"If-Modified-Since": modified, "Origin": APP})
    for answer in (cached, fresh):
        assert answer.status_code == 304
        assert answer.headers["access-control-allow-origin"] == "*"
    repeat = client.get(LIST + "?limit=2")
    assert repeat.content == first.content
    assert repeat.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", LIST + "?docking_location__id=abc", 400),
        ("GET", LIST + "999999/", 404),
        ("GET", "/2.2.0/nothing/", 404),
        ("GET", LIST + "?format=xml", 404),
        ("POST", LIST, 405),
        ("GET", "/2.2.0/docking_event", 301),
        ("GET", "/events", 503),
        ("GET", "/", 200),
        ("GET", "/live/docked", 200),
        ("GET", "/metrics", 200),
        ("GET", "/healthz", 200),
        ("GET", "/status", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/2.2.0/", 200),
        ("GET", "/2.2.0/api-throttle/", 200),
    ],
)
def test_errors_and_every_other_route_carry_it(
    client: TestClient, method: str, path: str, status: int
) -> None:
    answer = client.request(method, path, headers={"Origin": APP}, follow_redirects=False)
    assert answer.status_code == status
    assert answer.headers["access-control-allow-origin"] == "*"


def test_a_crash_answer_carries_it_too(stored: Engine) -> None:
    def broken(_request: Request) -> Response:
        raise RuntimeError("a handler broke")

    app = mirror_app(stored, check_seconds=None)
    app.add_route("/broken", broken)  # a stand-in for a bug in any handler
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/broken", headers={"Origin": APP})
    assert answer.status_code == 500
    assert answer.headers["access-control-allow-origin"] == "*"


def test_the_event_stream_carries_it(engine: Engine, redis_prefix: str) -> None:
    feed = EventFeed(StreamFanout(REDIS_URL, f"{redis_prefix}:events"), 0.3)
    with serve_in_thread(mirror_app(engine, event_feed=feed)) as url, ExitStack() as stack:
        http = stack.enter_context(httpx.Client(timeout=10))
        response = stack.enter_context(http.stream("GET", f"{url}/events", headers={"Origin": APP}))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", [LIST, LIST + "1/", "/2.2.0/", "/events", "/status"])
def test_a_preflight_is_answered_not_refused(client: TestClient, path: str) -> None:
    answer = client.options(path, headers=PREFLIGHT)

    assert answer.status_code == 204
    assert answer.content == b""
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert answer.headers["access-control-allow-headers"] == "if-none-match, authorization"
    assert answer.headers["access-control-max-age"] == "86400"


def test_a_plain_options_is_still_upstreams_405(client: TestClient) -> None:
    answer = client.options(LIST, headers={"Origin": APP})
    assert answer.status_code == 405
    assert answer.json() == {"detail": 'Method "OPTIONS" not allowed.'}
    assert answer.headers["access-control-allow-origin"] == "*"


def test_a_private_network_preflight_is_allowed(client: TestClient) -> None:
    asked = {**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}
    answer = client.options(LIST, headers=asked)
    assert answer.headers["access-control-allow-private-network"] == "true"


def test_listed_origins_get_their_origin_back_and_others_nothing(stored: Engine) -> None:
    app = mirror_app(stored, check_seconds=None, cors_origins=(APP, "http://localhost:3000"))
    with TestClient(app) as client:
        allowed = client.get(LIST, headers={"Origin": APP})
        other = client.get(LIST, headers={"Origin": "https://elsewhere.example"})
        bare = client.get(LIST)
        preflight = client.options(LIST, headers=PREFLIGHT)
        refused = client.options(LIST, headers={**PREFLIGHT, "Origin": "https://elsewhere.example"})

    assert allowed.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in bare.headers
    for answer in (allowed, other, bare):
        assert answer.headers.get_list("vary") == ["Accept, Origin"]
        assert answer.status_code == 200
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-origin" not in refused.headers


def test_the_setting_defaults_to_any_and_normalises_listed_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKWATCH_CORS_ORIGINS", raising=False)
    assert Settings(_env_file=None).cors_origin_list == ("*",)  # type: ignore[call-arg]
    listed = Settings(cors_origins="HTTPS://App.Example.com:443/ , http://localhost:3000")
    assert listed.cors_origin_list == (APP, "http://localhost:3000")


@pytest.mark.parametrize(
    "value",
    ["", "app.example.com", "https://app.example.com/path", "*,https://a.example", "ftp://a"],
)
def test_a_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DOCKWATCH_CORS_ORIGINS", value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("invalid setting DOCKWATCH_CORS_ORIGINS: must be * or")
    assert "\n" not in message


def test_serve_with_a_bad_setting_exits_2_with_one_line(tmp_path: Path, redis_prefix: str) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'cors.db'}", redis_prefix, "http://127.0.0.1:9/2.2.0")
    env["DOCKWATCH_CORS_ORIGINS"] = "https://app.example.com/app"
    result = run_cli(env, "serve", "--port", str(free_port()), cwd=tmp_path, timeout=60)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "invalid setting DOCKWATCH_CORS_ORIGINS" in result.stderr


def test_serve_hands_the_setting_to_the_mirror(tmp_path: Path, redis_prefix: str) -> None:
    env = cli_env(f"sqlite:///{tmp_path / 'cors.db'}", redis_prefix, "http://127.0.0.1:9/2.2.0")
    env["DOCKWATCH_CORS_ORIGINS"] = APP
    port = free_port()
    process = start_cli(env, "serve", "--port", str(port), cwd=tmp_path)
    try:

        def answer() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}{LIST}", headers={"Origin": APP})
            except httpx.HTTPError:
                assert process.poll() is None, process.communicate()
                return None

        served = wait_until(answer, "the mirror to answer")
        assert served.headers["access-control-allow-origin"] == APP
        other = httpx.get(f"http://127.0.0.1:{port}{LIST}", headers={"Origin": "https://x.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        process.terminate()
        process.communicate(timeout=30)
