"""What one sync cycle did (``CycleSummary``): the ``dockwatch sync`` JSON line, the Celery
task's result and ``last_cycle.summary`` of ``dockwatch status --json`` and ``/status``.

The worker fills it in as the cycle runs (its fields are assigned to) and stores its JSON in the
``last_cycle`` record; status readers validate it back. Its JSON leaves out the keys not set
(``reason``, ``resume_at`` and ``error`` of a complete cycle, an empty ``sweep``), keys in field
order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.ll2.formats import format_instant
from models.support.stop_reason import StopReason


def _unset(value: object) -> bool:
    return value is None or value == {}


class CycleSummary(BaseModel):
    """Counts of one cycle (requests sent; events created, updated, unchanged, removed;
    notifications written), whether it did all its work (``complete``), and if not why
    (``reason``), when the next request may go (``resume_at``, an instant) and the error text."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)

    requests: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    notifications: int = 0
    complete: bool = True
    reason: StopReason | None = Field(default=None, exclude_if=_unset)
    resume_at: str | None = Field(default=None, exclude_if=_unset)
    error: str | None = Field(default=None, exclude_if=_unset)
    sweep: dict[str, Any] = Field(default_factory=dict, exclude_if=_unset)

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
