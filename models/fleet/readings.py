"""Typed readings of the fleet's Redis side: the request budget's usage (with the back-off after
connection failures) and the sync lock's holder.

The worker's ``RequestBudget.usage`` returns a ``BudgetUsage`` and ``SingleFlight.holder`` a
``LockHeld`` (None: free); ``dockwatch status``, ``budget show`` and ``sync`` and the mirror's
``/status`` and ``/metrics`` read them. Instants are
epoch seconds in Python (``EpochInstant``) and ISO-8601 UTC with ``Z`` in the JSON
(``model_dump(mode="json")``); keys come in field order and every key is always written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from models.support.instants import EpochInstant


class Reading(BaseModel):
    """A frozen record whose JSON has exactly its fields (the schema says so: all required)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class Unreachable(Reading):
    """The back-off after requests in a row that never reached upstream (this upstream's): no
    request before ``until``; ``dockwatch budget reset`` ends it. ``failures`` counts them,
    ``since`` is when the first failed, ``error`` the last one's cause in words."""

    failures: int
    since: EpochInstant
    until: EpochInstant
    error: str


class BudgetUsage(Reading):
    """Upstream requests in the current sliding hour, fleet-wide: ``used`` of ``limit``,
    ``left``; ``next_slot_at`` when the next may go (null: now), ``not_before`` upstream's
    Retry-After deadline if still ahead, ``unreachable`` the back-off (null: upstream answered
    last)."""

    used: int
    limit: int
    left: int
    next_slot_at: EpochInstant | None
    not_before: EpochInstant | None
    unreachable: Unreachable | None = None


class LockFree(Reading):
    """No sync cycle runs."""

    held: Literal[False] = False


class LockHeld(Reading):
    """A sync cycle runs: on ``host`` as process ``pid`` since ``since``; its lock expires in
    ``expires_in_seconds`` unless renewed (nulls: a holder that names nobody)."""

    held: Literal[True] = True
    host: str | None
    pid: int | None
    since: EpochInstant | None
    expires_in_seconds: float
