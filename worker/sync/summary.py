"""What a sync cycle is asked to do (``Mode``) and what it reports (``CycleSummary``, a record of
the shared kernel: ``models.store.cycle_summary``)."""

from __future__ import annotations

from enum import StrEnum

from models.store.cycle_summary import CycleSummary

__all__ = ["CycleSummary", "Mode"]


class Mode(StrEnum):
    """What one cycle does."""

    POLL = "poll"  # the incremental poll (or the first fill while the mirror is empty)
    SWEEP_STEP = "sweep"  # one paced step of the sweep, then pending removal checks
    FULL = "full"  # the poll, then the whole list from its start, then removal checks
