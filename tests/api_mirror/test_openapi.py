"""``/openapi.json`` is a valid OpenAPI 3.1 document that describes what the mirror really serves,
and ``/docs`` shows it without the internet.

The mirror's own answers (every list page, normal and detailed, and every event's detail) over
the fake upstream's generated history, the real 615 sample and the 2.1.0-era event are
validated against the document's schemas, so neither can drift from the other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api_mirror.drf.params import DOCKING_FILTERS, ID_FILTERS
from api_mirror.openapi.operator_schemas import record_schemas
from fake_upstream import generate_history, sample_100, sample_615
from harness.mirror_app import mirror_app
from harness.mirror_thread import serve_in_thread
from models.store.cycle_summary import CycleSummary
from models.store.status import StatusReport
from models.store.sync_state import LastCycle, write_record
from models.support.stop_reason import StopReason
from settings import Settings
from tests.api_mirror.dataset import FETCHED_AT, make_events, store
from tests.browser_helpers import chromium
from tests.conftest import REDIS_URL
from worker.bootstrap import budget_reader, lock_reader, request_budget, sync_lock_key
from worker.sync.lock import SingleFlight

LIST = "/2.2.0/docking_event/"
BASE = "urn:dockwatch:openapi"


class Document:
    """The served document, with a validator for any JSON pointer into it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(BASE, resource)

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{BASE}#{pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def check(self, body: Any, pointer: str) -> None:
        self.validator(pointer).validate(body)

    def answer(self, path: str, status: int, media: str = "application/json") -> str:
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/get/responses/{status}/content/{media.replace('/', '~1')}/schema"

    def schema(self, name: str) -> str:
        return f"/components/schemas/{name}"


@pytest.fixture
def served(engine: Engine) -> Engine:
    """The generated history (nulls, empty strings, open events), the real 615 sample, the
    2.1.0-era event and events with a port that has no station link."""
    events = {event["id"]: event for event in generate_history(300, 12, seed=7)}
    for event in [sample_615(), sample_100(), *make_events(20, first_id=900_000)]:
        events[event["id"]] = event
    with Session(engine) as session:
        store(session, list(events.values()))
    return engine


@pytest.fixture
def client(served: Engine) -> Iterator[TestClient]:
    with TestClient(mirror_app(served, clock=lambda: FETCHED_AT)) as client:
        yield client


@pytest.fixture
def document(client: TestClient) -> Document:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    return Document(answer.json())


def test_the_document_is_valid_openapi_3_1(document: Document) -> None:
    validate(document.document)
    assert document.document["openapi"] == "3.1.0"


def test_every_parameter_the_mirror_reads_is_documented_with_upstreams_name(
    document: Document,
) -> None:
    operation = document.document["paths"][LIST]["get"]
    names = {param["$ref"].rsplit("/", 1)[1] for param in operation["parameters"]}
    accepted = {*ID_FILTERS, *DOCKING_FILTERS, "search", "ordering", "mode", "limit", "offset"}
    assert names == accepted | {"format"}
    schemas = document.document["components"]["schemas"]
    for name in ("PaginatedDockingEventList", "DockingEvent", "DockingEventDetailed"):
        assert name in schemas
    assert {"/status", "/healthz", "/events", "/metrics"} <= set(document.document["paths"])


def _pages(client: TestClient, query: str) -> Iterator[dict[str, Any]]:
    url: str | None = f"{LIST}?limit=100{query}"
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        yield page
        url = page["next"]


def test_every_list_page_and_every_detail_matches_the_document(
    client: TestClient, document: Document
) -> None:
    normal = document.validator(document.schema("PaginatedDockingEventList"))
    detailed = document.validator(document.schema("PaginatedDockingEventDetailedList"))
    list_answer = document.validator(document.answer(LIST, 200))
    ids = []
    for page in _pages(client, ""):
        normal.validate(page)
        list_answer.validate(page)
        ids += [event["id"] for event in page["results"]]
    assert len(set(ids)) == page["count"] >= 300
    for page in _pages(client, "&mode=detailed&format=json"):
        detailed.validate(page)
        list_answer.validate(page)
    detail = document.validator(document.answer("/2.2.0/docking_event/{id}/", 200))
    for ident in ids:
        answer = client.get(f"{LIST}{ident}/")
        assert answer.status_code == 200
        detail.validate(answer.json())
    suffixed = client.get(f"{LIST[:-1]}.json?limit=3&ordering=-departure").json()
    document.check(suffixed, document.answer("/2.2.0/docking_event.{format}", 200))


def test_the_schemas_admit_upstreams_nulls_and_empty_strings(
    client: TestClient, document: Document
) -> None:
    served = client.get(f"{LIST}615/").json()
    config = served["flight_vehicle"]["spacecraft"]["spacecraft_config"]
    assert (config["agency"]["parent"], config["agency"]["spacecraft"]) == (None, "")
    assert (config["info_link"], config["crew_capacity"], served["departure"]) == ("", None, None)
    document.check(served, document.schema("DockingEventDetailed"))
    # Other real events have an empty ``details`` and a null ``info_link``.
    config.update(details="", info_link=None, maiden_flight=None)
    document.check(served, document.schema("DockingEventDetailed"))
    unlinked = client.get(f"{LIST}?docking_location__id=41&limit=1").json()["results"][0]
    assert unlinked["docking_location"]["spacestation"] is None
    document.check(unlinked, document.schema("DockingEvent"))


def test_a_key_more_or_less_or_a_wrong_type_fails_validation(
    client: TestClient, document: Document
) -> None:
    event = client.get(f"{LIST}615/").json()
    schema = document.schema("DockingEventDetailed")
    for broken in (
        {**event, "response_mode": "detailed"},
        {key: value for key, value in event.items() if key != "space_station"},
        {**event, "docking": "yesterday"},
        {**event, "flight_vehicle": {**event["flight_vehicle"], "id": "615"}},
    ):
        with pytest.raises(ValidationError):
            document.check(broken, schema)


def test_errors_and_operator_routes_match_the_document(
    client: TestClient, document: Document
) -> None:
    cases = [
        (f"{LIST}?space_station__id=abc", LIST, 400),
        (f"{LIST}?search=a%00b", LIST, 400),
        (f"{LIST}999999999/", "/2.2.0/docking_event/{id}/", 404),
        ("/status", "/status", 200),
        ("/healthz", "/healthz", 200),
        ("/events", "/events", 503),
    ]
    for url, path, status in cases:
        answer = client.get(url)
        assert answer.status_code == status, url
        document.check(answer.json(), document.answer(path, status))
    refused = client.post(LIST)
    assert refused.status_code == 405
    document.check(refused.json(), document.answer(LIST, 405))


def test_status_with_a_budget_a_back_off_a_hold_and_a_held_lock_matches_the_document(
    served: Engine, document: Document, redis_client: redis.Redis, redis_prefix: str
) -> None:
    settings = Settings(_env_file=None).model_copy(
        update={
            "redis_url": REDIS_URL,
            "key_prefix": redis_prefix,
            "upstream_url": "http://upstream.test/2.2.0",
        }
    )
    budget = request_budget(settings, redis_client)
    budget.acquire()
    budget.note_unreachable("cannot resolve upstream.test")
    budget.defer_until(time.time() + 600)
    lock = SingleFlight(redis_client, sync_lock_key(settings), 60)
    assert lock.acquire()
    stopped = CycleSummary(requests=2, created=1)
    stopped.stop(StopReason.LOCK_LOST, time.time() + 60)
    stopped.error = "the sync lock was lost"
    stopped.sweep = {"offset": 100}
    with Session(served) as session:
        write_record(session, LastCycle(finished_at=FETCHED_AT, summary=stopped), FETCHED_AT)
        session.commit()
    app = mirror_app(served, budget=budget_reader(settings), lock=lock_reader(settings))
    try:
        with TestClient(app) as client:
            body = client.get("/status").json()
    finally:
        lock.release()

    document.check(body, document.answer("/status", 200))
    assert list(body) == list(StatusReport.model_fields)
    assert body["last_cycle"]["summary"]["reason"] == "lock_lost"
    assert body["budget"]["unreachable"]["failures"] == 1
    assert body["lock"]["held"] is True
    instants = [
        body["budget"]["next_slot_at"],
        body["budget"]["not_before"],
        body["budget"]["unreachable"]["since"],
        body["budget"]["unreachable"]["until"],
        body["lock"]["since"],
    ]
    assert all(isinstance(value, str) and value.endswith("Z") for value in instants), instants
    with pytest.raises(ValidationError):  # an epoch where an instant belongs
        document.check(
            {**body, "lock": {**body["lock"], "since": 1.7e9}}, document.answer("/status", 200)
        )
    summary = body["last_cycle"]["summary"]
    drifted = [
        {**body, "spare": 1},  # a key the record does not have
        {key: value for key, value in body.items() if key != "lock"},  # one it always writes
        {**body, "budget": {**body["budget"], "spare": 0}},
        {**body, "budget": {key: v for key, v in body["budget"].items() if key != "left"}},
        {
            **body,
            "last_cycle": {**body["last_cycle"], "summary": {**summary, "reason": "lock lost"}},
        },
        {**body, "stale": "yes"},
    ]
    for wrong in drifted:
        with pytest.raises(ValidationError):
            document.check(wrong, document.answer("/status", 200))


def test_the_status_schema_is_generated_from_the_record_it_serves(document: Document) -> None:
    generated = record_schemas(StatusReport)
    schemas = document.document["components"]["schemas"]
    assert {name: schemas[name] for name in generated} == generated
    assert schemas["StopReason"]["enum"] == [reason.value for reason in StopReason]
    assert schemas["StatusReport"]["required"] == list(StatusReport.model_fields)


def test_the_api_root_and_api_throttle_match_the_document(
    client: TestClient, document: Document
) -> None:
    for url, path in [
        ("/2.2.0/", "/2.2.0/"),
        ("/2.2.0/?format=json", "/2.2.0/"),
        ("/2.2.0/.json", "/2.2.0/.{format}"),
        ("/2.2.0/api-throttle/", "/2.2.0/api-throttle/"),
        ("/2.2.0/api-throttle.json", "/2.2.0/api-throttle.{format}"),
    ]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        document.check(answer.json(), document.answer(path, 200))
    for path in ("/2.2.0/", "/2.2.0/api-throttle/"):
        metadata = client.options(path).json()
        pointer = document.answer(path, 200).replace("/get/", "/options/")
        document.check(metadata, pointer)
        refused = client.delete(path)
        assert refused.status_code == 405
        document.check(refused.json(), document.answer(path, 405))
        unknown = client.get(path + "?format=xml")
        document.check(unknown.json(), document.answer(path, 404))
    with pytest.raises(ValidationError):
        document.check({"your_request_limit": 15}, document.schema("APIThrottle"))


def test_the_docs_page_loads_swagger_ui_from_the_mirror_alone(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets, page.text
    assert all(asset.startswith("/") for asset in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "https://" not in page.text
    assert "http://" not in page.text


def test_the_docs_page_renders_every_route_in_chromium_offline(served: Engine) -> None:
    """Chromium may only reach the mirror: any other request fails the test."""
    with serve_in_thread(mirror_app(served)) as base, chromium() as browser:
        page = browser.new_page()
        elsewhere: list[str] = []

        def route(handle: Any) -> None:
            if handle.request.url.startswith(base):
                handle.continue_()
            else:
                elsewhere.append(handle.request.url)
                handle.abort()

        page.route("**/*", route)
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        shown = page.locator(".opblock-summary-path").all_inner_texts()
        models = page.locator(".models").inner_text()
    assert elsewhere == []
    assert {text.replace("\u200b", "") for text in shown} >= {
        LIST,
        "/2.2.0/docking_event/{id}/",
        "/status",
        "/healthz",
        "/events",
        "/metrics",
    }
    assert "PaginatedDockingEventList" in models
    assert "DockingEventDetailed" in models
