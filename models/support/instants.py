"""The two instant types of dockwatch's typed records, each written ISO-8601 UTC with ``Z``.

``Instant`` holds an aware ``datetime``; ``EpochInstant`` holds epoch seconds (a float, as the
Redis side keeps them), so Python code compares and subtracts numbers while the JSON, and the
JSON schema generated from a record, carry ``2025-04-04T05:24:14.5Z`` (``format_instant``:
microseconds only when non-zero).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import PlainSerializer, WithJsonSchema

from models.ll2.formats import format_instant

# The JSON schema of an instant as the records write it.
INSTANT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "description": "UTC with a Z suffix; microseconds only when non-zero.",
}


def epoch_instant(epoch: float | None) -> str | None:
    """An epoch (seconds) as an instant, ``2025-04-04T05:24:14.5Z``; null kept."""
    return None if epoch is None else format_instant(epoch_datetime(epoch))


def epoch_datetime(epoch: float) -> dt.datetime:
    """An epoch (seconds) as an aware UTC ``datetime``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


Instant = Annotated[
    dt.datetime,
    PlainSerializer(format_instant, return_type=str),
    WithJsonSchema(INSTANT_SCHEMA, mode="serialization"),
]
EpochInstant = Annotated[
    float,
    PlainSerializer(epoch_instant, return_type=str, when_used="json"),
    WithJsonSchema(INSTANT_SCHEMA, mode="serialization"),
]
