"""The live page's history picture: per station a row per port, a bar per stay, drawn as SVG."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from api_mirror.http.routes.events import EventFeed
from api_mirror.live.fanout import StreamFanout
from api_mirror.live.stays import Stay
from api_mirror.live.timeline import WindowError, parse_days, render_timeline
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from models.fleet.stream import DOCKED
from models.support.compact_json import compact_json
from tests.api_mirror.dataset import make_events, sample_615, store, strip_format
from tests.browser_helpers import chromium
from tests.conftest import REDIS_URL

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def stay(ident: int, port: str, docked_days_ago: float, left_days_ago: float | None) -> Stay:
    docking = NOW - dt.timedelta(days=docked_days_ago)
    departure = None if left_days_ago is None else NOW - dt.timedelta(days=left_days_ago)
    return Stay(ident, "ISS <Alpha>", port, f"Craft {ident} & co", docking, departure)


def bars(html: str) -> dict[int, tuple[float, float, str]]:
    """Each bar's stay id -> (left %, width %, style)."""
    found = re.findall(
        r'<svg class="stay (\w+)" data-stay="(\d+)" x="([\d.]+)%" y="\d+" width="([\d.]+)%"', html
    )
    return {int(ident): (float(x), float(w), kind) for kind, ident, x, w in found}


def test_each_stay_is_a_bar_placed_on_the_window_and_open_ones_reach_now() -> None:
    stays = [
        stay(1, "Harmony forward", 45, 0),  # 45 days ago until now, departed
        stay(2, "Harmony forward", 120, 60),  # began before the window: clipped at its start
        stay(3, "Zvezda aft", 9, None),  # still docked
    ]
    html = render_timeline(stays, NOW, 90)

    placed = bars(html)
    assert placed[1][0] == pytest.approx(50, abs=0.01)
    assert placed[1][1] == pytest.approx(50, abs=0.01)
    assert placed[2][0] == 0
    assert placed[2][1] == pytest.approx(100 / 3, abs=0.01)
    assert placed[3][2] == "open"
    assert placed[3][0] + placed[3][1] == pytest.approx(100, abs=0.01)
    assert placed[1][2] == "closed"
    # One figure for the station, one row name per port, names escaped, a tooltip per bar.
    assert html.count('<figure class="timeline"') == 1
    assert "ISS &lt;Alpha&gt;" in html
    assert "<Alpha>" not in html
    assert html.count('class="port"') == 2
    assert ">Craft 3 &amp; co</text>" in html
    assert (
        "<title>Craft 3 &amp; co at Zvezda aft: 2026-11-22 00:00 UTC to now (9 d)</title>" in html
    )
    assert '<a href="/2.2.0/docking_event/3/">' in html
    assert 'data-days="90"' in html
    assert '<a href="/?days=90" aria-current="page">90 days</a>' in html
    assert '<a href="/?days=all">all</a>' in html
    assert "Oct 2026" in html
    assert "Nov 2026" in html


def test_a_short_stay_is_still_visible_and_an_empty_window_says_so() -> None:
    html = render_timeline([stay(1, "Port", 3, 2.99)], NOW, 365)
    assert bars(html)[1][1] >= 0.4
    assert "No stays in this window." in render_timeline([], NOW, 90)


def test_all_starts_at_the_first_docking() -> None:
    html = render_timeline([stay(1, "P", 4000, 3990), stay(2, "P", 10, None)], NOW, None)
    assert bars(html)[1][0] == 0
    assert 'data-days="all"' in html
    assert re.search(r">20\d\d</text>", html)  # year ticks on a decade


@pytest.mark.parametrize("value", ["abc", "0", "-3", "36501", "1.5"])
def test_a_bad_days_value_is_an_error_naming_it(value: str) -> None:
    with pytest.raises(WindowError, match="days must"):
        parse_days(value)


def test_days_defaults_to_90_and_takes_all() -> None:
    assert (parse_days(None), parse_days(""), parse_days("ALL"), parse_days("7")) == (
        90,
        90,
        None,
        7,
    )


@pytest.fixture
def stored(engine: Engine) -> list[dict]:
    open_615 = strip_format(sample_615())
    open_615["departure"] = None
    events = [*make_events(12), open_615]
    with Session(engine) as session:
        store(session, events)
    return events


def test_the_page_and_its_fragment_draw_the_window_asked_for(
    engine: Engine, stored: list[dict]
) -> None:
    with TestClient(mirror_app(engine, clock=lambda: NOW)) as client:
        page = client.get("/?days=all")
        fragment = client.get("/live/timeline?days=all")
        recent = client.get("/live/timeline")
        bad = client.get("/?days=soon")
        bad_fragment = client.get("/live/timeline?days=0")

    assert page.status_code == fragment.status_code == 200
    assert fragment.text in page.text
    assert set(bars(fragment.text)) == {event["id"] for event in stored}
    assert "Tiangong space station" in fragment.text
    # The default window (90 days before NOW) holds only the stays still open.
    assert set(bars(recent.text)) == {e["id"] for e in stored if e["departure"] is None}
    assert fragment.headers["cache-control"] == "no-store"
    assert bad.status_code == bad_fragment.status_code == 400
    assert bad.json() == {"detail": "days must be a whole number of days or 'all', not 'soon'"}
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def notify(client: redis.Redis, stream: str, subject: str) -> str:
    data = {"docking_event": {"flight_vehicle": {"spacecraft": {"name": f"Craft {subject}"}}}}
    event: dict[str, Any] = {"id": f"n{subject}", "type": DOCKED, "subject": subject}
    event.update(time="2026-11-30T00:00:00Z", data={**data, "changes": {}})
    return str(client.xadd(stream, {"event": compact_json(event)}).decode())


def test_recent_lists_the_latest_retained_notifications_oldest_first(
    engine: Engine, redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    ids = [notify(redis_client, stream, str(n)) for n in range(60)]
    app = mirror_app(engine, event_feed=EventFeed(StreamFanout(REDIS_URL, stream), 0.5))
    with TestClient(app) as client:
        answer = client.get("/live/recent")
    with TestClient(mirror_app(engine)) as client:
        without_redis = client.get("/live/recent")

    assert answer.status_code == 200
    assert [entry["id"] for entry in answer.json()] == ids[-50:]
    assert answer.json()[-1]["event"]["subject"] == "59"
    assert without_redis.json() == []


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.slow
def test_a_docking_adds_a_bar_without_a_reload_and_earlier_notifications_show(
    engine: Engine,
    stored: list[dict],
    browser: Browser,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    stream = f"{redis_prefix}:events"
    earlier = notify(redis_client, stream, "615")
    app = mirror_app(engine, event_feed=EventFeed(StreamFanout(REDIS_URL, stream), 0.5))
    with serve_in_thread(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.goto(base + "/")
        page.wait_for_selector("#state:has-text('live')")
        page.evaluate("window.sameDocument = true")
        before = page.locator("#timeline svg.stay").count()
        first_note = page.get_attribute("#log li", "data-entry-id")

        arrival = strip_format(sample_615())
        arrival.update(
            id=9001, departure=None, docking=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        with Session(engine) as session:
            store(session, [arrival])
        notify(redis_client, stream, "9001")

        page.wait_for_selector('#timeline svg.stay[data-stay="9001"]', timeout=10_000)
        after = page.locator("#timeline svg.stay").count()
        same_document = page.evaluate("window.sameDocument === true")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live-timeline.png"), full_page=True)
        page.close()

    assert first_note == earlier  # retained before the page opened, shown when it opens
    assert after == before + 1
    assert same_document  # updated in place, not reloaded
    assert (ARTIFACTS / "live-timeline.png").stat().st_size > 0
