"""``GET /``: the live page — who is docked where now, and notifications as they arrive."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator

import pytest
import redis
from playwright.sync_api import Browser
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from api_mirror.http.routes.events import EventFeed
from api_mirror.live.fanout import StreamFanout
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from models.fleet.stream import DOCKED
from models.support.compact_json import compact_json
from models.support.spans import human_span
from tests.api_mirror.dataset import FETCHED_AT, make_events, sample_615, store, strip_format
from tests.browser_helpers import chromium
from tests.conftest import REDIS_URL

NOW = FETCHED_AT + dt.timedelta(hours=1)


def open_615() -> dict:
    event = strip_format(sample_615())
    event["departure"] = None
    return event


@pytest.fixture
def stored(engine: Engine) -> list[dict]:
    events = [*make_events(12), open_615()]
    with Session(engine) as session:
        store(session, events)
    return events


def test_the_page_lists_each_open_event_under_its_station_linked_to_it(
    engine: Engine, stored: list[dict]
) -> None:
    with TestClient(mirror_app(engine, clock=lambda: NOW)) as client:
        page = client.get("/")
        fragment = client.get("/live/docked")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    open_ids = sorted(e["id"] for e in stored if e["departure"] is None)
    assert sorted(map(int, re.findall(r'data-event-id="(\d+)"', html))) == open_ids
    assert '<a href="/2.2.0/docking_event/615/">Tianzhou-8</a>' in html
    assert "<h2>Tiangong space station</h2>" in html
    docked_for = human_span(
        (NOW - dt.datetime(2024, 11, 15, 18, 32, tzinfo=dt.UTC)).total_seconds()
    )
    assert f">{docked_for}</td>" in html
    assert '<meta name="viewport"' in html
    assert 'new EventSource("/events"' in html
    # Nothing from elsewhere: no external script, style, image or font.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html
    assert fragment.text in html
    assert fragment.headers["cache-control"] == "no-store"


def test_an_empty_mirror_says_nothing_is_docked(engine: Engine) -> None:
    with TestClient(mirror_app(engine)) as client:
        html = client.get("/").text

    assert "Nothing is docked anywhere right now." in html


SPANS = (12, 247, 300, 7500, 7200, 3 * 86_400 + 4 * 3600 + 59)


def test_durations_read_like_people_say_them() -> None:
    assert [human_span(seconds) for seconds in SPANS] == [
        "12 s",
        "4 min 7 s",
        "5 min",
        "2 h 5 min",
        "2 h",
        "3 d 4 h",
    ]
    assert human_span(-3) == "0 s"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.slow
def test_a_notification_updates_the_open_page_without_a_reload(
    engine: Engine,
    stored: list[dict],
    browser: Browser,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    stream = f"{redis_prefix}:events"
    app = mirror_app(engine, event_feed=EventFeed(StreamFanout(REDIS_URL, stream), 0.5))
    with serve_in_thread(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base + "/")
        page.wait_for_selector("#state:has-text('live')")
        page.evaluate("window.sameDocument = true")

        arrival = copy.deepcopy(open_615())
        arrival["id"] = 9001
        arrival["docking"] = "2025-04-04T06:00:00Z"
        with Session(engine) as session:
            store(session, [arrival])
        docking_event = {"id": 9001, "docking_location": arrival["docking_location"],
                         "flight_vehicle": arrival["flight_vehicle"]}  # fmt: skip
        event = {"id": "n1", "type": DOCKED, "subject": "9001", "time": arrival["docking"],
                 "data": {"docking_event": docking_event, "changes": {}}}  # fmt: skip
        redis_client.xadd(stream, {"event": compact_json(event)})

        page.wait_for_selector('#docked tr[data-event-id="9001"]', timeout=10_000)
        entry = page.inner_text("#log li")
        link = page.get_attribute("#log li a", "href")
        same_document = page.evaluate("window.sameDocument === true")
        ticked = page.evaluate(f"{list(SPANS)}.map(s => span(s * 1000))")
        page.close()

    assert ticked == [human_span(seconds) for seconds in SPANS]  # the script ticks in the same form

    assert entry.startswith("docked")
    assert "Tianzhou-8" in entry
    assert link == "/2.2.0/docking_event/9001/"
    assert same_document  # updated in place, not reloaded
    assert all(url.startswith(base + "/") for url in requested)
