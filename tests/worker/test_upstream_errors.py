"""Upstream errors stay one line: the status and a short excerpt, never a page of HTML; a 2xx
that is not JSON at all costs one request, not one per retry; and ``dockwatch sync`` against a
broken upstream prints its one-line error and nothing else on stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from fake_upstream import FakeUpstream
from tests.cli_helpers import cli_env, run_cli
from tests.worker.client_doubles import FakeTime, Upstream
from worker.upstream.client import UpstreamClient
from worker.upstream.errors import NotJsonPayload, PayloadError, UpstreamRejected
from worker.upstream.excerpt import EXCERPT_CHARS, one_line

NOT_FOUND_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <title>Page not found at /2.2.0/docking_event/</title>
  <style type="text/css">
    html * { padding:0; margin:0; }
  </style>
</head>
<body>
  <h1>Page not found <span>(404)</span></h1>
  <p>The requested resource was not found on this server.</p>
</body>
</html>
"""
PORTAL_PAGE = b"""<html>
<body>
<h1>Welcome to the hotel network</h1>
<p>Please accept the terms &amp; conditions.</p>
</body>
</html>
"""
HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_a_404_html_page_is_one_line_naming_the_status_and_the_pages_title(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(httpx.Response(404, content=NOT_FOUND_PAGE, headers=HTML))

    with pytest.raises(UpstreamRejected) as raised:
        make_client().get_list({})

    message = str(raised.value)
    assert message == (
        "upstream answered 404 for GET /2.2.0/docking_event/: "
        "Page not found at /2.2.0/docking_event/"
    )


def test_an_html_page_without_a_title_is_its_text_on_one_short_line(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    page = PORTAL_PAGE.replace(b"</p>", b"</p>" + b"<p>more words here</p>\n" * 40)
    upstream.script(httpx.Response(403, content=page, headers=HTML))

    with pytest.raises(UpstreamRejected) as raised:
        make_client().get_list({})

    prefix = "upstream answered 403 for GET /2.2.0/docking_event/: "
    message = str(raised.value)
    assert message.startswith(prefix + "Welcome to the hotel network Please accept the terms & ")
    assert "\n" not in message
    assert "<" not in message
    assert len(message) == len(prefix) + EXCERPT_CHARS
    assert message.endswith("…")


def test_drfs_error_detail_is_the_excerpt(
    make_client: Callable[..., UpstreamClient], upstream: Upstream
) -> None:
    upstream.script(httpx.Response(401, json={"detail": "Invalid token.\nTry again."}))

    with pytest.raises(UpstreamRejected) as raised:
        make_client().get_list({})

    assert str(raised.value).endswith("docking_event/: Invalid token. Try again.")


def test_a_200_html_page_is_not_retried_and_costs_one_request(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.script(httpx.Response(200, content=PORTAL_PAGE, headers=HTML))
    client = make_client(max_attempts=4)

    with pytest.raises(NotJsonPayload) as raised:
        client.get_list({})

    assert (client.requests_made, fake_time.sleeps) == (1, [])
    assert str(raised.value) == (
        "upstream answered 200 for GET /2.2.0/docking_event/ with text/html, not JSON: "
        "Welcome to the hotel network Please accept the terms & conditions."
    )


def test_a_json_body_cut_short_is_still_retried(
    make_client: Callable[..., UpstreamClient], upstream: Upstream, fake_time: FakeTime
) -> None:
    cut = httpx.Response(200, content=b'  {"count": 3, "res', headers=HTML)
    upstream.script(cut, cut)
    client = make_client(max_attempts=2)

    with pytest.raises(PayloadError) as raised:
        client.get_list({})

    assert not isinstance(raised.value, NotJsonPayload)
    assert client.requests_made == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\n\tb\r\n  c\x00d", "a b c d"), ("x" * 200, "x" * (EXCERPT_CHARS - 1) + "…"), ("", "")],
)
def test_one_line_flattens_and_cuts(text: str, expected: str) -> None:
    assert one_line(text) == expected


# ------------------------------------------------------------------------------ dockwatch sync


@pytest.mark.parametrize(
    ("status", "body", "content_type", "requests", "says"),
    [
        (500, None, None, 2, "upstream answered 500 for GET /2.2.0/docking_event/?"),
        (404, NOT_FOUND_PAGE, "text/html", 1, "Page not found at /2.2.0/docking_event/"),
        (200, PORTAL_PAGE, "text/html", 1, "with text/html, not JSON: Welcome to the hotel"),
    ],
    ids=["500", "404-html", "200-html"],
)
def test_dockwatch_sync_against_a_broken_upstream_prints_exactly_one_line(
    database_url: str,
    redis_prefix: str,
    fake: FakeUpstream,
    tmp_path: Path,
    status: int,
    body: bytes | None,
    content_type: str | None,
    requests: int,
    says: str,
) -> None:
    fake.faults.error(status, times=None, body=body, content_type=content_type)
    # Waits of at most 1 s, 2 s in all: the 500 is tried twice, with one retry line in the log.
    env = cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_HTTP_MAX_ATTEMPTS="4")

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("dockwatch: sync failed: ")
    assert says in line
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["complete"], summary["requests"]) == (False, requests)
    assert "\n" not in summary["error"]
    assert fake.log.count() == requests
