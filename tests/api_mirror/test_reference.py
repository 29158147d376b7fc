"""The mirror against the fake upstream, an independent plain-Python reading of upstream.

The mirror's tables are filled from the fake's own detailed pages (a sync), and both are asked
the same generated query strings at the same instant: status and body must be byte-identical
(count, ids and their order, next/previous, every value, 400 and 404 bodies). For ``format=api``
the mirror answers the browsable page and the fake the JSON that page shows: the page's status
line and JSON block must match it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import quote, quote_plus

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from fake_upstream import (
    DEFAULT_NOW,
    FakeUpstream,
    format_datetime,
    generate_history,
    parse_datetime,
)
from harness.mirror_app import mirror_app
from tests.api_mirror.browsable_text import pretty, read_page
from tests.api_mirror.dataset import store

EVENTS = generate_history(n_events=160, n_open=14, seed=5)
HOST = {"host": "testserver"}


def _names(event: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        event["space_station"]["name"],
        event["flight_vehicle"]["spacecraft"]["name"],
        event["docking_location"]["name"],
    ]


WORDS = sorted({word for e in EVENTS for name in _names(e) for word in name.split()})
IDS = {
    "space_station__id": sorted({str(e["space_station"]["id"]) for e in EVENTS}),
    "flight_vehicle__id": sorted({str(e["flight_vehicle"]["id"]) for e in EVENTS})[:20],
    "docking_location__id": sorted({str(e["docking_location"]["id"]) for e in EVENTS}),
}
DOCKINGS = [e["docking"] for e in EVENTS]


def _fake() -> FakeUpstream:
    return FakeUpstream(EVENTS, now=DEFAULT_NOW)


def _synced_pages(fake: FakeUpstream) -> list[dict]:  # type: ignore[type-arg]
    events, offset = [], 0
    while True:
        target = f"/2.2.0/docking_event/?mode=detailed&ordering=id&limit=100&offset={offset}"
        page = json.loads(fake.respond("GET", target, HOST).body)
        events += page["results"]
        if page["next"] is None:
            return events
        offset += 100


@pytest.fixture
def mirror(engine: Engine) -> Iterator[TestClient]:
    with Session(engine) as session:
        store(session, _synced_pages(_fake()), now=DEFAULT_NOW)
    with TestClient(mirror_app(engine, clock=lambda: DEFAULT_NOW)) as client:
        yield client


# --- query-string generation -------------------------------------------------------------------


def _docking_forms(text: str) -> list[str]:
    moment = parse_datetime(text)
    shifted = moment.astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    return [
        text,
        text[:10],
        text.replace("T", " "),
        text.removesuffix("Z"),
        shifted.isoformat(),
        format_datetime(moment + timedelta(microseconds=1)),
        moment.strftime("%Y-%m-%dT%H:%M"),
    ]


ID_JUNK = ["", "abc", ".5", "-1", "1e1", "99999999999999999999999", "NaN", "1,2", " 4 ", "inf",
           "1e50", "1e51", "-1e51", "1e400"]  # fmt: skip
DATE_JUNK = [
    "",
    "yesterday",
    "2020-13-01",
    "2020-01-01T25:00",
    "1600000000",
    "2020-01-01T10:00+25:00",
]
ORDER_TERMS = ["id", "-id", "docking", "-docking", "departure", "-departure", "foo", "--id",
               "DOCKING", " docking ", "+docking", ""]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(-5, 170).map(str),
    st.sampled_from(["", "abc", "5.0", "+3", " 7 ", "1e1", "99999999999999999999999999"]),
)


@st.composite
def search_values(draw: st.DrawFn) -> str:
    word = st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS).map(str.upper),
        st.sampled_from(WORDS).map(lambda w: w[1:4]),
        st.sampled_from(['"', "'", ",", "%", "_", "\\", "100%", "IDA_2", '"forward"', "a\x00"]),
    )
    words = draw(st.lists(word, max_size=3))
    text = draw(st.sampled_from([" ", ",", ", "])).join(words)
    return draw(st.sampled_from([text, f'"{text}"', f"'{text}'", f"{text},"]))


def _value_for(name: str) -> st.SearchStrategy[str | None]:
    if name in IDS:
        return st.one_of(st.sampled_from(IDS[name]), st.sampled_from(ID_JUNK))
    if name.startswith("docking__"):
        forms = st.sampled_from(DOCKINGS).flatmap(lambda d: st.sampled_from(_docking_forms(d)))
        return st.one_of(forms, st.sampled_from(DATE_JUNK))
    if name == "search":
        return search_values()
    if name == "ordering":
        return st.lists(st.sampled_from(ORDER_TERMS), max_size=3).map(",".join)
    if name in ("limit", "offset"):
        return NUMBERS
    if name == "mode":
        return st.sampled_from(["detailed", "normal", "list", "", "DETAILED"])
    if name == "format":
        return st.sampled_from(["json", "json", "", "xml", "api"])
    return st.one_of(st.none(), st.sampled_from(["", "x", "4", "true", "a b"]))


NAMES = [*IDS, "docking__gt", "docking__gte", "docking__lt", "docking__lte", "search",
         "ordering", "limit", "offset", "mode", "format", "UNKNOWN", "z", "space_station",
         "departure__isnull"]  # fmt: skip


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(NAMES), max_size=6))
    parts = []
    for name in names:
        value = draw(_value_for(name))
        if value is None:
            parts.append(quote_plus(name))
            continue
        # Sometimes leave ``+`` and ``:`` unencoded, as hand-written URLs do (``+`` is a space).
        encode = draw(st.sampled_from([quote_plus, lambda v: quote(v, safe=":,+")]))
        parts.append(f"{quote_plus(name)}={encode(value)}")
    return "&".join(parts)


PATHS = st.one_of(
    st.just("/2.2.0/docking_event/"),
    st.sampled_from([str(e["id"]) for e in EVENTS[:10]] + ["999999", "-1", "abc", "61x"]).map(
        lambda ident: f"/2.2.0/docking_event/{ident}/"
    ),
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=PATHS, query=query_strings())
def test_mirror_answers_exactly_as_the_reference(mirror: TestClient, path: str, query: str) -> None:
    target = f"{path}?{query}" if query else path
    expected = _fake().respond("GET", target, HOST)
    actual = mirror.get(target)
    assert actual.status_code == expected.status, target
    if actual.headers["content-type"].startswith("text/html"):
        page = read_page(actual.text)
        status = f"HTTP {expected.status} {HTTPStatus(expected.status).phrase}"
        assert page.header_lines[0] == status, target
        assert page.json_text == pretty(json.loads(expected.body)), target
        return
    if actual.content != expected.body:
        # A readable diff first, then the byte-level check (key order, separators).
        assert actual.json() == json.loads(expected.body), target
        assert actual.content == expected.body, target


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_answer_as_the_reference(mirror: TestClient, method: str) -> None:
    for target in ("/2.2.0/docking_event/", "/2.2.0/docking_event/1/?format=xml"):
        expected = _fake().respond(method, target, HOST)
        actual = mirror.request(method, target)
        assert (actual.status_code, actual.content) == (expected.status, expected.body)
