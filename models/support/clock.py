"""The clock: the wall time as an aware UTC datetime, and the type of an injectable clock.

Every component takes a ``Clock`` argument defaulting to ``utc_now`` so tests and benchmarks can
drive time explicitly; nothing else in the code base calls ``datetime.now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The wall clock as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)
