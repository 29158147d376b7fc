"""Arbitrary strings in every parameter and in the path never make the mirror answer 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harness.mirror_app import mirror_app
from tests.api_mirror.dataset import make_events, store

NAMES = [
    "space_station__id", "flight_vehicle__id", "docking_location__id", "docking__gt",
    "docking__gte", "docking__lt", "docking__lte", "search", "ordering", "limit", "offset",
    "mode", "format",
]  # fmt: skip
# The fixture's data is only read, so sharing it between examples is safe.
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
values = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.-+eE_ :TZ,%\"'\\\x00"),
    st.from_regex(r"-?[0-9]{1,40}(\.[0-9]*)?(e-?[0-9]{1,12})?", fullmatch=True),
)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with Session(engine) as session:
        store(session, make_events(25))
    with TestClient(mirror_app(engine)) as client:
        yield client


@FUZZ
@given(params=st.lists(st.tuples(st.one_of(st.sampled_from(NAMES), st.text()), values), max_size=6))
def test_arbitrary_parameter_values_never_answer_5xx(
    client: TestClient, params: list[tuple[str, str]]
) -> None:
    response = client.get("/2.2.0/docking_event/?" + urlencode(params))
    assert response.status_code in (200, 400, 404)


@FUZZ
@given(raw=st.text(alphabet=st.characters(codec="ascii", exclude_characters="#")))
def test_arbitrary_raw_query_strings_never_answer_5xx(client: TestClient, raw: str) -> None:
    response = client.get("/2.2.0/docking_event/?" + quote(raw, safe="=&+%;/?:@$,"))
    assert response.status_code in (200, 400, 404)


@FUZZ
@given(segment=st.text(min_size=1), method=st.sampled_from(["GET", "POST", "HEAD", "DELETE"]))
def test_arbitrary_path_segments_never_answer_5xx(
    client: TestClient, segment: str, method: str
) -> None:
    path = "/2.2.0/docking_event/" + quote(segment, safe="") + "/"
    response = client.request(method, path)
    assert response.status_code < 500


@FUZZ
@given(
    accept=st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"])),
    path=st.sampled_from(
        [
            "/2.2.0/docking_event/",
            "/2.2.0/docking_event.api",
            "/2.2.0/docking_event/3/",
            "/2.2.0/docking_event/3.json/",
            "/2.2.0/docking_event/x.api",
            "/2.2.0/docking_event/3.x1",
        ]
    ),
    query=st.sampled_from(["", "format=api", "format=json", "format=", "space_station__id=1e99"]),
)
def test_arbitrary_accept_headers_never_answer_5xx(
    client: TestClient, accept: str, path: str, query: str
) -> None:
    response = client.get(f"{path}?{query}", headers={"Accept": accept.encode("latin-1")})
    assert response.status_code in (200, 400, 404, 406)
