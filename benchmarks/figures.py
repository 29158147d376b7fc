"""Figures: percentiles, human durations and the one ``SUMMARY`` line each benchmark ends with."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

SUMMARY_PREFIX = "SUMMARY"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in [0, 1]) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    """The median (0 for an empty sequence, so a summary can always be printed)."""
    return statistics.median(values) if values else 0.0


def minutes(seconds: float) -> str:
    """``2m31s``-style duration."""
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s"


def ratio(numerator: float, denominator: float) -> str:
    """``x5.6``, or ``n/a`` when the denominator is zero."""
    return f"x{numerator / denominator:.1f}" if denominator else "n/a"


def summary(name: str, text: str) -> str:
    """Print and return the benchmark's one summary line."""
    line = f"{SUMMARY_PREFIX} {name}: {text}"
    print(line, flush=True)
    return line
