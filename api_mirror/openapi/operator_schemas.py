"""OpenAPI schemas of the mirror's own answers: upstream's error bodies and the operator routes.

Error bodies copy upstream's (DRF's): ``{"detail": …}`` for 404/405/406, a filter error object
keyed by parameter for 400 (a bare list for a NUL in ``search``). ``StatusReport`` is
``/status``'s, generated from the record the route serves (``models.store.status``) with the
records it nests (``BudgetUsage``, ``LockHeld``, ``CycleSummary``, ``StopReason``, …), so the
document and the answer cannot drift: every key is required and no other key allowed, instants
are ISO-8601 UTC with ``Z``, durations numbers of seconds named ``…_seconds``. ``ApiRoot``,
``APIThrottle`` (upstream's name for its quota object) and ``ViewMetadata`` (DRF's answer to
OPTIONS) are the API root's views'.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api_mirror.openapi.ll2_schemas import TEXT, Schema, strict_object
from models.store.status import StatusReport

# Where generated schemas refer to their nested records: each is a component of its own.
_REF_TEMPLATE = "#/components/schemas/{model}"


def record_schemas(*records: type[BaseModel]) -> dict[str, Schema]:
    """Component schemas generated from typed records, each under its class name, and every
    record they nest (``BudgetUsage``, ``LockHeld``, …) beside them.

    The schemas are pydantic's serialization-mode JSON Schema (draft 2020-12, which OpenAPI 3.1
    uses as is): what ``model_dump(mode="json")`` writes, every key it always writes required,
    no other key allowed (the records forbid or drop unknown ones), instants as ISO-8601
    strings.
    """
    _, generated = models_json_schema(
        [(record, "serialization") for record in records], ref_template=_REF_TEMPLATE
    )
    components: dict[str, Schema] = generated.get("$defs", {})
    return components


# The records whose JSON the operator routes serve, and every record they nest.
_GENERATED = record_schemas(StatusReport)

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
    **_GENERATED,
}
