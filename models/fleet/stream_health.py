"""How the notification stream and its readers are doing: its length, and per consumer group the
entries delivered but not acknowledged (pending) and those not yet delivered (lag).

Every subscriber (``dockwatch subscribe --group G``) and every webhook endpoint
(``webhook:<id>``) reads through a consumer group, so a group's lag is how far that reader is
behind the relay. Redis reports the lag itself (``XINFO GROUPS``, Redis 7) except when it cannot
tell — a group created at an arbitrary id, or entries deleted inside its unread range — when
it is counted here from the group's last delivered id, up to ``LAG_COUNT_CAP`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from models.fleet.stream import text

# Entries counted one by one when Redis cannot give a group's lag; a lag beyond it reads as it.
LAG_COUNT_CAP = 10_000
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class GroupHealth:
    """One consumer group: entries delivered and not acknowledged, entries not yet delivered,
    and how many consumers it has."""

    name: str
    pending: int
    lag: int
    consumers: int


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """The stream's length (0 when it does not exist yet) and its groups, by name."""

    length: int
    groups: list[GroupHealth]


def _entries_after(client: redis.Redis, stream: str, last_id: str, cap: int) -> int:
    """How many entries come after ``last_id`` (at most ``cap``)."""
    counted, start = 0, f"({last_id}"
    while counted < cap:
        page: Any = client.xrange(stream, min=start, max="+", count=min(_PAGE, cap - counted))
        if not page:
            break
        counted += len(page)
        start = f"({text(page[-1][0])}"
    return counted


def read_stream_health(
    client: redis.Redis, stream: str, *, lag_cap: int = LAG_COUNT_CAP
) -> StreamHealth:
    """The stream's length and every group's pending count and lag; raises ``redis.RedisError``
    when Redis cannot answer."""
    length: Any = client.xlen(stream)
    try:
        infos: Any = client.xinfo_groups(stream)
    except redis.ResponseError:  # no such key: no stream yet, hence no groups
        return StreamHealth(int(length), [])
    groups = []
    for info in infos:
        lag = info.get("lag")
        if lag is None:
            last_id = text(info.get("last-delivered-id") or "0-0")
            lag = _entries_after(client, stream, last_id, lag_cap)
        groups.append(
            GroupHealth(
                name=text(info["name"]),
                pending=int(info.get("pending") or 0),
                lag=int(lag),
                consumers=int(info.get("consumers") or 0),
            )
        )
    return StreamHealth(int(length), sorted(groups, key=lambda group: group.name))
