"""Why a sync cycle stopped early: one ``StopReason`` for every process that writes or reads it.

The values are the spellings of the JSON (``dockwatch sync``'s line, ``last_cycle.summary.reason``
in ``dockwatch status --json`` and ``/status``) and of the ``outcome`` label of
``dockwatch_sync_cycles_total``, so a reason is written one way everywhere, never translated.
"""

from __future__ import annotations

from enum import StrEnum


class StopReason(StrEnum):
    """What ended a cycle before its work was done (a complete cycle has no reason)."""

    BUDGET = "budget"  # the shared request budget was spent
    THROTTLED = "throttled"  # upstream asked to wait (429, or 503 with Retry-After)
    BACKOFF = "backoff"  # the back-off after requests that never reached upstream
    UPSTREAM = "upstream"  # upstream failed (unreachable, or an answer that cannot be used)
    LOCK_LOST = "lock_lost"  # the sync lock expired or was taken while the cycle ran
    REDIS = "redis"  # Redis did not answer, so no budget check (and no request) was possible
    PACED = "paced"  # a sweep step left the rest of its budget for the next poll
