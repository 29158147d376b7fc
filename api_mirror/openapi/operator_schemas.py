"""OpenAPI schemas of the mirror's own answers: upstream's error bodies and the operator routes.

Error bodies copy upstream's (DRF's): ``{"detail": …}`` for 404/405/406, a filter error object
keyed by parameter for 400 (a bare list for a NUL in ``search``). ``StatusReport`` is
``/status`` (``models.store.status.read_status``): its documented keys are required; keys added
later are allowed, so older clients keep working. Its instants are ISO-8601 UTC with ``Z``, its
durations numbers of seconds named ``…_seconds``. ``ApiRoot``, ``APIThrottle`` (upstream's name
for its quota object) and ``ViewMetadata`` (DRF's answer to OPTIONS) are the API root's views'.
"""

from __future__ import annotations

from api_mirror.openapi.ll2_schemas import (
    COUNT,
    FLAG,
    INSTANT,
    TEXT,
    Schema,
    nullable,
    strict_object,
)

_SECONDS = {"type": "number", "minimum": 0, "description": "A duration, in seconds."}
_BACKOFF = strict_object(
    {
        "failures": COUNT,
        "since": INSTANT,
        "until": INSTANT,
        "error": TEXT,
    },
    "The back-off after requests in a row that never reached upstream (this upstream's): no "
    "request before until; `dockwatch budget reset` ends it.",
)
_SWEEP = strict_object(
    {
        "offset": COUNT,
        "last_id": nullable(COUNT),
        "count": nullable(COUNT),
        "started_at": nullable(INSTANT),
        "last_complete": nullable(INSTANT),
        "clean": FLAG,
        "rewinds": COUNT,
    },
    "Where the reconciliation sweep stands; last_complete is when it last finished a pass.",
)
_BUDGET = {
    "oneOf": [
        {"type": "null", "description": "The mirror has no budget reader (no Redis)."},
        strict_object(
            {
                "used": COUNT,
                "limit": COUNT,
                "left": COUNT,
                "next_slot_at": nullable(INSTANT),
                "not_before": nullable(INSTANT),
                "unreachable": nullable(_BACKOFF),
            },
            "Upstream requests in the current sliding hour, fleet-wide.",
        ),
        strict_object({"error": TEXT}, "Redis could not be read."),
    ]
}

_LOCK = {
    "oneOf": [
        {"type": "null", "description": "The mirror has no lock reader (no Redis)."},
        strict_object({"held": {"const": False}}, "No sync cycle runs."),
        strict_object(
            {
                "held": {"const": True},
                "host": nullable(TEXT),
                "pid": nullable(COUNT),
                "since": nullable(INSTANT),
                "expires_in_seconds": _SECONDS,
            },
            "A sync cycle runs; its lock expires unless renewed (nulls: a holder unnamed).",
        ),
        strict_object({"error": TEXT}, "Redis could not be read."),
    ]
}

OPERATOR_SCHEMAS: dict[str, Schema] = {
    "ApiRoot": {
        "type": "object",
        "description": "Each upstream route's prefix (such as `config/launcher`) and its list url.",
        "additionalProperties": {"type": "string", "format": "uri"},
        "required": ["docking_event", "api-throttle"],
    },
    "APIThrottle": strict_object(
        {
            "your_request_limit": {"type": "integer", "minimum": 1},
            "limit_frequency_secs": {"type": "integer", "minimum": 1},
            "current_use": {"type": "integer", "minimum": 0},
            "next_use_secs": {"type": "integer", "minimum": 0},
            "ident": {"type": "string"},
        },
        "Upstream's quota object; on the mirror: no limit, nothing used, no wait.",
    ),
    "ViewMetadata": strict_object(
        {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "renders": {"type": "array", "items": {"type": "string"}},
            "parses": {"type": "array", "items": {"type": "string"}},
        },
        "DRF's SimpleMetadata, the answer to OPTIONS.",
    ),
    "Detail": strict_object(
        {"detail": TEXT}, "An error as upstream writes it (404, 405, 406, 503)."
    ),
    "FilterErrors": {
        "description": 'A 400: messages by parameter ({"space_station__id": ["Enter a '
        'number."]}), or a bare list of messages (a NUL character in search).',
        "oneOf": [
            {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "array", "items": TEXT},
            },
            {"type": "array", "items": TEXT},
        ],
    },
    "Health": {
        "oneOf": [
            strict_object({"status": {"const": "ok"}}, "The database answers."),
            strict_object(
                {"status": {"const": "unavailable"}, "reason": TEXT},
                "The database does not answer; reason names the error's kind.",
            ),
        ]
    },
    "StatusReport": {
        "type": "object",
        "description": "Freshness, counts, sync state, outbox backlog and budget, read from "
        "the shared state (what `dockwatch status --json` prints).",
        "required": [
            "last_successful_sync",
            "freshness_seconds",
            "stale",
            "events",
            "open_events",
            "last_cycle",
            "sweep",
            "fill",
            "data_version",
            "outbox_backlog",
            "budget",
            "lock",
        ],
        "properties": {
            "last_successful_sync": nullable(INSTANT),
            "freshness_seconds": nullable({"type": "number", "minimum": 0}),
            "stale": FLAG,
            "events": COUNT,
            "open_events": COUNT,
            "last_cycle": nullable(
                {
                    "type": "object",
                    "required": ["finished_at", "summary"],
                    "properties": {
                        "finished_at": INSTANT,
                        "summary": {
                            "type": "object",
                            "description": "The `dockwatch sync` JSON line of that cycle.",
                            "required": ["requests", "complete"],
                            "properties": {"requests": COUNT, "complete": FLAG},
                        },
                    },
                }
            ),
            "sweep": _SWEEP,
            "fill": strict_object({"done": FLAG}, "Whether the first fill is done."),
            "data_version": strict_object(
                {"number": COUNT, "changed_at": nullable(INSTANT)},
                "A counter bumped by every data write (the ETags' source).",
            ),
            "outbox_backlog": COUNT,
            "budget": _BUDGET,
            "lock": _LOCK,
        },
    },
}
