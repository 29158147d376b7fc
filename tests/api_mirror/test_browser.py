"""The browsable page in a real browser: Debian's headless Chromium, driven by Playwright.

A real uvicorn server on a free port (in a thread) serves the mirror. The browser opens the list
page, follows the link to event 615, reads the JSON that page renders, then follows 615's own
``url`` and the breadcrumb back to the list (which it gets as HTML by its ``Accept`` alone).
Every request the pages make goes to the mirror: nothing is fetched from the internet.
``scripts/install-chromium.sh`` installs ``/usr/bin/chromium`` (``make test`` and CI run it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from tests.api_mirror.browsable_text import pretty
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format
from tests.browser_helpers import chromium

pytestmark = pytest.mark.slow

NOW = FETCHED_AT + dt.timedelta(hours=1)
HEADER_LINES = ["HTTP 200 OK", "Allow: GET", "Content-Type: application/json", "Vary: Accept"]


@pytest.fixture
def mirror_url(engine: Engine) -> Iterator[str]:
    """The mirror's root on a real uvicorn server, listening before the test starts."""
    with Session(engine) as session:
        store(session, [*make_events(12), strip_format(sample_615())])
    with serve_in_thread(mirror_app(engine, clock=lambda: NOW)) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _response_block(page: Page) -> tuple[list[str], str]:
    """The rendered response block: its header lines and its JSON text."""
    head, _, json_text = page.inner_text("#response-info").partition("\n\n")
    return head.split("\n"), json_text


def test_the_page_renders_the_json_and_its_links_stay_on_the_mirror(
    mirror_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    list_url = f"{mirror_url}/2.2.0/docking_event/"

    page.goto(f"{list_url}?format=api&ordering=-id&limit=3")
    assert page.inner_text("h1") == "Docking Event List"
    headers, json_text = _response_block(page)
    assert headers == HEADER_LINES
    listing = json.loads(json_text)
    assert [event["id"] for event in listing["results"]] == [615, 12, 11]

    event_url = f"{list_url}615/?format=api"
    with page.expect_navigation(url=event_url):
        page.click(f'#response-info a[href="{event_url}"]')
    assert page.inner_text("#request-info") == "GET /2.2.0/docking_event/615/?format=api"
    headers, json_text = _response_block(page)
    assert headers == HEADER_LINES
    body = json.loads(json_text)
    assert body["url"] == event_url
    assert body["flight_vehicle"]["spacecraft"]["name"] == "Tianzhou-8"
    assert page.text_content("#response-info").endswith("\n\n" + pretty(body))

    # The event's own url leads to its page again; the breadcrumb is a plain link, which the
    # browser gets as HTML by its Accept header alone.
    with page.expect_navigation(url=event_url):
        page.click(f'#response-info a[href="{event_url}"]')
    assert json.loads(_response_block(page)[1])["id"] == 615
    with page.expect_navigation(url=list_url):
        page.click('.breadcrumb a[href="/2.2.0/docking_event/"]')
    assert page.inner_text("#request-info") == "GET /2.2.0/docking_event/"
    assert json.loads(_response_block(page)[1])["count"] == 13
    assert len([url for url in requested if "/2.2.0/docking_event/" in url]) == 4
    assert all(url.startswith(mirror_url + "/") for url in requested)


def test_a_missing_event_shows_a_404_page(mirror_url: str, browser: Browser) -> None:
    page = browser.new_page()
    response = page.goto(f"{mirror_url}/2.2.0/docking_event/999/?format=api")
    assert response is not None
    assert response.status == 404
    headers, json_text = _response_block(page)
    assert headers[0] == "HTTP 404 Not Found"
    assert json.loads(json_text) == {"detail": "No DockingEvent matches the given query."}
