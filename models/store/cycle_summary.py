"""What one sync cycle did (``CycleSummary``): the ``dockwatch sync`` JSON line, the Celery
task's result and ``last_cycle.summary`` of ``dockwatch status --json`` and ``/status``.

The worker fills it in as the cycle runs (its fields are assigned to) and stores its JSON in the
``last_cycle`` record; status readers validate it back. Its JSON leaves out the keys not set
(``reason``, ``resume_at`` and ``error`` of a complete cycle, an empty ``sweep``), keys in field
order.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from models.ll2.formats import format_instant
from models.support.instants import INSTANT_SCHEMA
from models.support.stop_reason import StopReason

# ``resume_at`` is kept as the instant text it was written as (``format_instant``).
InstantText = Annotated[str, WithJsonSchema(INSTANT_SCHEMA)]


def _unset(value: object) -> bool:
    return value is None or value == {}


class CycleSummary(BaseModel):
    """Counts of one cycle (requests sent; events created, updated, unchanged, removed;
    notifications written), whether it did all its work (``complete``), and if not why
    (``reason``), when the next request may go (``resume_at``, an instant) and the error text."""

    # A stored summary may carry keys of other versions (ignored); the JSON has only these.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )

    requests: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    notifications: int = 0
    complete: bool = True
    reason: StopReason | None = Field(default=None, exclude_if=_unset)
    resume_at: InstantText | None = Field(default=None, exclude_if=_unset)
    error: str | None = Field(default=None, exclude_if=_unset)
    sweep: dict[str, Any] = Field(
        default_factory=dict,
        exclude_if=_unset,
        description="Where the sweep stood when the cycle ended (a SweepCheckpoint's JSON).",
    )

    @field_validator("reason", mode="before")
    @classmethod
    def _known_reason(cls, value: object) -> object:
        """A reason this version does not name (a row an older one wrote) reads as unrecorded."""
        known = {reason.value for reason in StopReason}
        return value if value is None or isinstance(value, StopReason) or value in known else None

    def stop(self, reason: StopReason, resume_at: float | None = None) -> None:
        """Mark the cycle as stopped early for ``reason``; ``resume_at`` an epoch, if known."""
        self.complete = False
        self.reason = reason
        if resume_at is not None:
            self.resume_at = format_instant(dt.datetime.fromtimestamp(resume_at, dt.UTC))

    def as_json(self) -> dict[str, Any]:
        """The summary as ``dockwatch sync`` prints it (documented keys first, unset ones out)."""
        return self.model_dump(mode="json")
