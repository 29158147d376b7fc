"""What a sync cycle is asked to do (``Mode``) and what it reports (``CycleSummary``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from models.ll2.formats import format_instant
from models.support.stop_reason import StopReason


class Mode(StrEnum):
    """What one cycle does."""

    POLL = "poll"  # the incremental poll (or the first fill while the mirror is empty)
    SWEEP_STEP = "sweep"  # one paced step of the sweep, then pending removal checks
    FULL = "full"  # the poll, then the whole list from its start, then removal checks


@dataclass
class CycleSummary:
    """What a cycle did; ``as_json`` is the line ``dockwatch sync`` prints."""

    requests: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    notifications: int = 0
    complete: bool = True
    reason: StopReason | None = None
    resume_at: str | None = None
    error: str | None = None
    sweep: dict[str, Any] = field(default_factory=dict)

    def stop(self, reason: StopReason, resume_at: float | None = None) -> None:
        """Mark the cycle as stopped early for ``reason``."""
        self.complete = False
        self.reason = reason
        if resume_at is not None:
            self.resume_at = format_instant(dt.datetime.fromtimestamp(resume_at, dt.UTC))

    def as_json(self) -> dict[str, Any]:
        """The summary as ``dockwatch sync`` prints it (documented keys first, unset ones out)."""
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None and value != {}}
