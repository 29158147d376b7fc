"""Cadence of the scheduled tasks, derived from the request budget, and beat's schedule.

The hour's budget is split into whole numbers of requests: ``sweeps`` one-page sweep steps
(``round(limit * sweep_share)``, at least one) and the rest for polls, each task on an even
interval of ``3600 / count``. Periodic tasks on such intervals never put more than their count
in any sliding hour, so poll + sweep never plan more than the budget. At 15 requests an hour
and the default share (0.13) that is 13 polls (every ~277 s) and 2 sweep pages (every 1800 s):
a dock or undock is seen within 277 s, and a 650-event list is reconciled every ~3.5 h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HOUR = 3600.0
# A queued run expires this share of its period after it was queued: a margin before the next
# run is queued, so a backlog of stale runs never builds up and never doubles a period's work.
EXPIRY_SHARE = 0.9


@dataclass(frozen=True)
class Cadence:
    """Seconds between scheduled runs of each task."""

    poll: float
    sweep: float


def derive_cadence(
    limit_per_hour: int, sweep_share: float, poll_interval_override: float = 0
) -> Cadence:
    """Intervals whose runs in any sliding hour add up to at most ``limit_per_hour``."""
    if limit_per_hour < 2 or not 0 < sweep_share <= 1:
        # Two tasks need at least one request an hour each.
        raise ValueError("limit_per_hour must be >= 2 and sweep_share in (0, 1]")
    sweeps = min(max(1, round(limit_per_hour * sweep_share)), limit_per_hour - 1)
    polls = limit_per_hour - sweeps
    poll, sweep = HOUR / polls, HOUR / sweeps
    if poll_interval_override > 0:
        # An explicit poll interval may only slow the poll down, never overspend the budget.
        poll = max(poll, poll_interval_override)
    return Cadence(poll=poll, sweep=sweep)


def expires(period: float) -> float:
    """How long a queued run of a task with this period stays worth running (seconds)."""
    return period * EXPIRY_SHARE


def beat_schedule(cadence: Cadence) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule: the poll and the sweep step, each expiring before its next run."""
    return {
        name: {"task": task, "schedule": period, "options": {"expires": expires(period)}}
        for name, task, period in (
            ("poll", "dockwatch.sync_poll", cadence.poll),
            ("sweep", "dockwatch.sync_sweep", cadence.sweep),
        )
    }
