"""Cadence of the scheduled tasks, derived from the request budget.

The poll gets ``1 - sweep_share`` of the hourly budget and the sweep step (one page) the rest,
so the two together never plan more requests than the budget allows. At 15 requests an hour
and the default 20 % sweep share that is a poll every 300 s and a sweep page every 1200 s.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600.0
# The relay runs right after each sync commit; this is only its safety net.
RELAY_SAFETY_NET_SECONDS = 30.0


@dataclass(frozen=True)
class Cadence:
    """Seconds between scheduled runs of each task."""

    poll: float
    sweep: float
    relay: float = RELAY_SAFETY_NET_SECONDS


def derive_cadence(
    limit_per_hour: int, sweep_share: float, poll_interval_override: float = 0
) -> Cadence:
    """Intervals that keep poll + sweep within ``limit_per_hour``."""
    if limit_per_hour < 1 or not 0 < sweep_share <= 1:
        raise ValueError("limit_per_hour must be >= 1 and sweep_share in (0, 1]")
    poll_share = max(1.0 - sweep_share, 0.0)
    sweep = HOUR / (limit_per_hour * sweep_share)
    poll = HOUR / (limit_per_hour * poll_share) if poll_share > 0 else sweep
    if poll_interval_override > 0:
        # An explicit poll interval may only slow the poll down, never overspend the budget.
        poll = max(poll, poll_interval_override)
    return Cadence(poll=poll, sweep=sweep)
