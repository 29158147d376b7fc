"""The mirror's OpenAPI 3.1 document, written out rather than derived from handler signatures.

The docking-event routes read the raw query string on purpose (upstream's leniency, never a
422), so FastAPI could not describe them: their parameters are listed here from the names the
mirror accepts (``api_mirror.drf.params``) with upstream's descriptions, and their answers refer to
the 2.2.0 schemas of ``ll2_schemas`` under upstream's names. The routes clients call around
them (the API root ``/2.2.0/`` and ``/2.2.0/api-throttle/``), the operator routes (``/status``,
``/healthz``, ``/metrics``), the notification feed ``/events`` and the live page ``/`` follow.
``build_document`` returns a fresh dict (FastAPI serves it at ``/openapi.json``).
"""

from __future__ import annotations

import copy
from typing import Any

from api_mirror.drf.params import DEFAULT_LIMIT, DOCKING_FILTERS, ID_FILTERS, MAX_LIMIT
from api_mirror.drf.renderer import API_ROOT
from api_mirror.openapi.ll2_schemas import LL2_SCHEMAS, Schema, ref
from api_mirror.openapi.operator_schemas import OPERATOR_SCHEMAS

LIST_ROUTE = f"{API_ROOT}/docking_event/"
DETAIL_ROUTE = f"{API_ROOT}/docking_event/{{id}}/"
DESCRIPTION = (
    "A local, always-fresh copy of Launch Library 2's docking events, served with the upstream "
    "API's exact shape, filters and ordering (LL2 2.2.0), plus the operator routes. Query "
    "parameters are as lenient as upstream's: unknown ones and unknown ordering terms are "
    "ignored, a `limit`/`offset` that is not a whole number falls back to its default, and "
    "only a bad filter value is a 400. Every answer carries CORS headers "
    "(`Access-Control-Allow-Origin`, by default `*`) and preflights are answered, so browser apps "
    "on other origins can read it."
)
_WORDS = {"gt": "greater than", "gte": "greater than or equal to", "lt": "less than"}
_WORDS["lte"] = "less than or equal to"


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _filters() -> list[Schema]:
    """Every filter, as on upstream: the docking-time comparisons and the id filters."""
    instants = [
        _query(
            name,
            {"type": "string", "format": "date-time"},
            f"Docking is {_WORDS[lookup]}. ISO 8601, with or without seconds, `T` or a space, "
            "`Z` or an offset (send `+` as `%2B`); a date alone means midnight UTC.",
        )
        for name, lookup in DOCKING_FILTERS.items()
    ]
    ids = [
        _query(
            name,
            {"type": "integer"},
            "Exact match. A decimal is cut toward zero; a value that is not a number is a 400.",
        )
        for name in ID_FILTERS
    ]
    return [*instants, *ids]


def _parameters() -> dict[str, Schema]:
    return {
        "search": _query(
            "search",
            {"type": "string"},
            "A search term: every whitespace- or comma-separated term (quoted phrases kept "
            "whole) must be found, case-insensitively, in the space station's, the spacecraft's "
            "or the docking location's name.",
        ),
        "ordering": _query(
            "ordering",
            {"type": "string", "examples": ["-docking", "departure,-id"]},
            "Which field to use when ordering the results: `id`, `docking`, `departure`, `-` to "
            "reverse, comma-separated; unknown terms are ignored. Default `id`; still-docked "
            "events come last ascending and first descending; `id` breaks ties.",
        ),
        "mode": _query(
            "mode",
            {"type": "string", "examples": ["detailed"]},
            "`detailed` gives the detailed form on the list; any other value the normal form. "
            "The detail route is always detailed.",
        ),
        "limit": _query(
            "limit",
            {"type": "integer", "default": DEFAULT_LIMIT, "maximum": MAX_LIMIT},
            f"Number of results to return per page (default {DEFAULT_LIMIT}, at most "
            f"{MAX_LIMIT}; more means {MAX_LIMIT}).",
        ),
        "offset": _query(
            "offset",
            {"type": "integer", "default": 0},
            "The initial index from which to return the results.",
        ),
        "format": _query(
            "format",
            {"type": "string", "enum": ["json", "api"]},
            "`json`: JSON, with `?format=json` carried into every url; `api`: the browsable "
            "HTML page. Any other value is a 404.",
        ),
    }


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Schema]:
    answers = {
        "304": {"description": "Not modified: the If-None-Match / If-Modified-Since matched."},
        "400": _json(ref("FilterErrors"), "A filter value upstream would reject."),
        "404": _json(ref("Detail"), "No such event (or outside the filters), or bad format."),
        "405": _json(ref("Detail"), "Any method but GET (header Allow: GET)."),
        "406": _json(ref("Detail"), "An Accept header neither JSON nor HTML satisfies."),
    }
    return {str(status): answers[str(status)] for status in statuses}


_CACHING_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Weak, over the stored data."},
    "Last-Modified": {"schema": {"type": "string"}, "description": "When the data changed."},
}
_BROWSABLE = {"text/html": {"schema": {"type": "string"}}}


def _docking_operation(summary: str, body: Schema, parameters: list[Schema]) -> Schema:
    ok = {
        "description": "The JSON body; with ?format=api (or Accept: text/html) the browsable page.",
        "headers": _CACHING_HEADERS,
        "content": {"application/json": {"schema": body}, **_BROWSABLE},
    }
    return {
        "get": {
            "tags": ["docking events"],
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": ok, **_errors(304, 400, 404, 405, 406)},
        }
    }


def _docking_paths() -> dict[str, Schema]:
    shared = [{"$ref": f"#/components/parameters/{name}"} for name in _parameters()]
    filters = [{"$ref": f"#/components/parameters/{p['name']}"} for p in _filters()]
    ident: Schema = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
        "description": "A unique integer value identifying this docking event.",
    }
    suffix: Schema = {
        "name": "format",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["json", "api"]},
        "description": "A format suffix (`.json`, `.api`), as `?format=`.",
    }
    page = {
        "oneOf": [ref("PaginatedDockingEventList"), ref("PaginatedDockingEventDetailedList")],
        "description": "PaginatedDockingEventList; with ?mode=detailed its results are "
        "DockingEventDetailed.",
    }
    detail = ref("DockingEventDetailed")
    list_params = [*filters, *shared]
    detail_params = [ident, *filters, *shared]
    listing = "Docking events, a page at a time (filters, search, ordering, mode)."
    one = "One docking event, detailed (filters apply here too: outside them is a 404)."
    return {
        LIST_ROUTE: _docking_operation(listing, page, list_params),
        DETAIL_ROUTE: _docking_operation(one, detail, detail_params),
        f"{API_ROOT}/docking_event.{{format}}": _docking_operation(
            listing + " Format-suffix route.", page, [suffix, *list_params]
        ),
        f"{API_ROOT}/docking_event/{{id}}.{{format}}": _docking_operation(
            one + " Format-suffix route.", detail, [suffix, *detail_params]
        ),
    }


def _plain_view(summary: str, body: Schema, parameters: list[Schema]) -> Schema:
    """A view with DRF's default methods: GET (and HEAD), OPTIONS (its metadata), else 405."""
    ok = {
        "description": "The JSON body; with ?format=api (or Accept: text/html) the browsable page.",
        "content": {"application/json": {"schema": body}, **_BROWSABLE},
    }
    refused = _json(ref("Detail"), "Any method but GET, HEAD, OPTIONS (Allow: GET, HEAD, OPTIONS).")
    answers = {
        "200": ok,
        "404": _json(ref("Detail"), "A format no renderer has."),
        "405": refused,
        "406": _errors(406)["406"],
    }
    metadata = {**answers, "200": _json(ref("ViewMetadata"), "DRF's metadata for the view.")}
    tags = ["api root"]
    return {
        "get": {"tags": tags, "summary": summary, "parameters": parameters, "responses": answers},
        "options": {
            "tags": tags,
            "summary": "DRF's metadata: the view's name, description, renderers and parsers "
            "(a CORS preflight is answered 204 instead).",
            "parameters": parameters,
            "responses": metadata,
        },
    }


def _root_paths() -> dict[str, Schema]:
    shared = [{"$ref": "#/components/parameters/format"}]
    suffix: Schema = {
        "name": "format",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["json", "api"]},
        "description": "A format suffix (`.json`, `.api`), as `?format=`.",
    }
    root = (
        "Upstream's API root (DRF's DefaultRouter root): each upstream route and its list url; "
        "the routes the mirror serves (docking_event, api-throttle) on the mirror, the rest on "
        "upstream. `?format=` and a suffix are carried into every url."
    )
    quota = (
        "Upstream's quota check, in its shape. The mirror does not throttle its clients: "
        "`your_request_limit` is 2147483647 (no limit), `current_use` and `next_use_secs` are 0, "
        "`ident` is the client's address as the mirror sees it."
    )
    return {
        f"{API_ROOT}/": _plain_view(root, ref("ApiRoot"), shared),
        f"{API_ROOT}/.{{format}}": _plain_view(
            root + " Format-suffix route.", ref("ApiRoot"), [suffix, *shared]
        ),
        f"{API_ROOT}/api-throttle/": _plain_view(quota, ref("APIThrottle"), shared),
        f"{API_ROOT}/api-throttle.{{format}}": _plain_view(
            quota + " Format-suffix route.", ref("APIThrottle"), [suffix, *shared]
        ),
    }


def _operator_paths() -> dict[str, Schema]:
    def get(tag: str, summary: str, responses: dict[str, Schema], **extra: Any) -> Schema:
        return {"get": {"tags": [tag], "summary": summary, "responses": responses, **extra}}

    health = ref("Health")
    events_params = [
        _query("types", {"type": "string"}, "Comma-separated CloudEvent types to keep."),
        _query("last_event_id", {"type": "string"}, "As the Last-Event-ID header."),
        {
            "name": "Last-Event-ID",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "pattern": "^[0-9]{1,20}(-[0-9]{1,20})?$"},
            "description": "Resume after this stream entry (`0`: every retained one).",
        },
    ]
    return {
        "/status": get(
            "operations",
            "Freshness, counts, sync state, backlog and budget.",
            {"200": _json(ref("StatusReport"), "The report.")},
        ),
        "/healthz": get(
            "operations",
            "Whether the database answers.",
            {"200": _json(health, "It answers."), "503": _json(health, "It does not.")},
        ),
        "/metrics": get(
            "operations",
            "Prometheus text: the fleet's metrics, read from the shared state.",
            {"200": {"description": "Metrics.", "content": {"text/plain": {}}}},
        ),
        "/events": get(
            "notifications",
            "The notifications as Server-Sent Events (id: stream entry id, event: CloudEvent "
            "type, data: the CloudEvent JSON on one line).",
            {
                "200": {"description": "The stream.", "content": {"text/event-stream": {}}},
                "400": _json(ref("Detail"), "A malformed Last-Event-ID."),
                "503": _json(ref("Detail"), "Redis is unreachable (or not configured)."),
            },
            parameters=events_params,
        ),
        "/": get(
            "notifications",
            "The live page: who is docked where, and notifications.",
            {"200": {"description": "The page.", "content": _BROWSABLE}},
        ),
    }


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document describing every route the mirror serves (a fresh copy)."""
    parameters = {param["name"]: param for param in [*_filters(), *_parameters().values()]}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "dockwatch mirror", "version": "2.2.0", "description": DESCRIPTION},
        "tags": [
            {"name": "docking events", "description": "Upstream's routes, as LL2 2.2.0."},
            {"name": "api root", "description": "Upstream's API root and quota check, as 2.2.0."},
            {"name": "notifications", "description": "Dock and undock notifications, live."},
            {"name": "operations", "description": "Health, status and metrics."},
        ],
        "paths": {**_docking_paths(), **_root_paths(), **_operator_paths()},
        "components": {
            "schemas": {**LL2_SCHEMAS, **OPERATOR_SCHEMAS},
            "parameters": parameters,
        },
    }
    return copy.deepcopy(document)
