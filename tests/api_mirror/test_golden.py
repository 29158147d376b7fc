"""Golden test: id 615 synced over HTTP from the fake upstream, served back by the mirror.

It must equal the real capture in ``tests/data`` apart from the host, the ``?format=api`` suffix
the capture was taken with, and the two durations, which must have grown by the time elapsed.
Asked with ``?format=api`` like the capture, the browsable page's header lines are upstream's and
its JSON block is the capture's text itself (4-space indents), host and durations aside.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from fake_upstream import DEFAULT_NOW, FakeUpstream, generate_history
from harness.mirror_app import mirror_app
from models.ll2.formats import format_duration
from tests.api_mirror.browsable_text import read_page
from tests.api_mirror.dataset import SAMPLE_615, store

ELAPSED = dt.timedelta(days=1, hours=2, minutes=3, seconds=4)
# The capture's values: P139DT10H52M14S and P139DT7H33M33S.
IN_SPACE_SECONDS = 139 * 86400 + 10 * 3600 + 52 * 60 + 14
DOCKED_SECONDS = 139 * 86400 + 7 * 3600 + 33 * 60 + 33


def _expected_page_json(mirror_root: str) -> str:
    """The capture's own text with the mirror's host and the grown durations."""
    text = SAMPLE_615.read_text()
    text = text.replace("https://ll.thespacedevs.com/2.2.0/docking_event/", mirror_root)
    grown = int(ELAPSED.total_seconds())
    for seconds in (IN_SPACE_SECONDS, DOCKED_SECONDS):
        assert text.count(f'"{format_duration(seconds)}"') == 1
        text = text.replace(
            f'"{format_duration(seconds)}"', f'"{format_duration(seconds + grown)}"'
        )
    return text


def _expected(mirror_root: str) -> bytes:
    text = SAMPLE_615.read_text().replace("?format=api", "")
    text = text.replace("https://ll.thespacedevs.com/2.2.0/docking_event/", mirror_root)
    expected = json.loads(text)
    craft = expected["flight_vehicle"]["spacecraft"]
    grown = int(ELAPSED.total_seconds())
    craft["time_in_space"] = format_duration(IN_SPACE_SECONDS + grown)
    craft["time_docked"] = format_duration(DOCKED_SECONDS + grown)
    return json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()


def test_615_synced_from_upstream_is_served_as_captured_with_grown_durations(
    engine: Engine,
) -> None:
    with FakeUpstream(generate_history(n_events=40), now=DEFAULT_NOW) as fake:
        response = httpx.get(f"{fake.base_url}/docking_event/615/?format=json")
        response.raise_for_status()
        payload = response.json()
    with Session(engine) as session:
        store(session, [payload], now=DEFAULT_NOW)
    app = mirror_app(engine, clock=lambda: DEFAULT_NOW + ELAPSED)
    with TestClient(app) as client:
        served = client.get("/2.2.0/docking_event/615/")
        served_json = client.get("/2.2.0/docking_event/615/?format=json")
        served_page = client.get("/2.2.0/docking_event/615/?format=api")
    assert served.status_code == 200
    assert served.content == _expected("http://testserver/2.2.0/docking_event/")
    suffixed = json.loads(served_json.content)
    assert suffixed["url"] == "http://testserver/2.2.0/docking_event/615/?format=json"
    assert suffixed["space_station"]["url"].endswith("/spacestation/18/?format=json")
    assert served_page.status_code == 200
    page = read_page(served_page.text)
    assert page.request_line == "GET /2.2.0/docking_event/615/?format=api"
    assert page.header_lines == [
        "HTTP 200 OK",
        "Allow: GET",
        "Content-Type: application/json",
        "Vary: Accept",
    ]
    assert page.json_text == _expected_page_json("http://testserver/2.2.0/docking_event/")
