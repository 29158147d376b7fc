"""Simulated time for the freshness benchmark: scheduled instants merged with upstream changes.

``timeline`` yields, in time order, every instant of each periodic task (as celery beat fires an
interval schedule: ``origin + k * every``) and every scripted change; at equal instants the
change comes first (the cycle at that instant sees it), then the tasks in the order given.
``Windows`` says which instants must really be simulated: from ``lead`` before each change to
``tail`` after it. Elsewhere nothing changes upstream, so a cycle can only repeat the previous
one; skipping it saves wall time without moving any detection (``--every-cycle`` runs them all).
``Tracker`` records when each change was applied and when the client under test noticed it.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from benchmarks.history import ScriptedChange
from fake_upstream import FakeUpstream


@dataclass(frozen=True)
class Tick:
    """One instant of the timeline: a task to run or a change to apply."""

    at: datetime
    task: str | None = None
    change: ScriptedChange | None = None


def timeline(
    origin: datetime,
    until: datetime,
    tasks: Sequence[tuple[str, float]],
    changes: Sequence[ScriptedChange],
) -> Iterator[Tick]:
    """Task instants from ``origin`` and ``changes`` merged by time, up to ``until``."""
    heap: list[tuple[datetime, int, int, str | None, int]] = []
    for order, (task, _every) in enumerate(tasks):
        heapq.heappush(heap, (origin, 1 + order, 0, task, -1))
    for index, change in enumerate(changes):
        heapq.heappush(heap, (change.at, 0, 0, None, index))
    every_of = dict(tasks)
    while heap:
        at, order, k, name, index = heapq.heappop(heap)
        if at > until:
            return
        if name is None:
            yield Tick(at, change=changes[index])
            continue
        yield Tick(at, task=name)
        next_k = k + 1
        heapq.heappush(
            heap, (origin + timedelta(seconds=every_of[name] * next_k), order, next_k, name, -1)
        )


class Windows:
    """The spans of simulated time that are really run: around each change."""

    def __init__(
        self, instants: Sequence[datetime], lead: timedelta | None, tail: timedelta
    ) -> None:
        self.everything = lead is None
        spans: list[list[datetime]] = []
        for at in sorted(instants):
            begin, end = at - (lead or timedelta(0)), at + tail
            if spans and begin <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([begin, end])
        self.starts = [s[0] for s in spans]
        self.ends = [s[1] for s in spans]

    def __contains__(self, at: datetime) -> bool:
        if self.everything:
            return True
        index = bisect.bisect_right(self.starts, at) - 1
        return index >= 0 and at <= self.ends[index]


@dataclass
class Tracker:
    """When each change happened upstream and when the client under test stored it."""

    applied: dict[tuple[str, int], datetime] = field(default_factory=dict)
    noticed: dict[tuple[str, int], datetime] = field(default_factory=dict)

    def apply(self, change: ScriptedChange) -> None:
        """Note that ``change`` is now visible upstream."""
        self.applied[(change.kind, change.event_id)] = change.at

    def notice(self, kind: str, event_id: int, at: datetime) -> None:
        """Note that the client stored ``kind`` for ``event_id`` at ``at`` (first time wins)."""
        key = (kind, event_id)
        if key in self.applied:
            self.noticed.setdefault(key, at)

    @property
    def pending(self) -> bool:
        """Whether some applied change is not noticed yet."""
        return len(self.noticed) < len(self.applied)

    def latencies(self, kind: str) -> list[float]:
        """Seconds from each noticed change of ``kind`` to its noticing."""
        return [
            (self.noticed[key] - at).total_seconds()
            for key, at in self.applied.items()
            if key[0] == kind and key in self.noticed
        ]

    def missed(self) -> int:
        """Changes never noticed."""
        return len(self.applied) - len(self.noticed)


class Client(Protocol):
    """A client under test, driven by task name."""

    def run(self, task: str) -> None:
        """Run one scheduled instance of ``task`` now."""

    def skip(self, task: str) -> None:
        """Let one scheduled instance of ``task`` pass unsimulated."""


@dataclass
class ReplayStats:
    """How much of the schedule was really simulated."""

    ran: int = 0
    skipped: int = 0
    seconds_run: float = 0.0  # total length of the simulated stretches


def apply_change(fake: FakeUpstream, change: ScriptedChange) -> None:
    """Make ``change`` visible upstream (the fake's clock is at its instant)."""
    if change.kind == "dock":
        if change.event is None:
            raise ValueError("a docking change needs its event")
        fake.add_event(change.event)
    else:
        fake.set_departure(change.event_id, change.at, in_space=False if change.final else None)


def replay(
    ticks: Iterator[Tick],
    *,
    fake: FakeUpstream,
    client: Client,
    tracker: Tracker,
    windows: Windows,
    set_clock: Callable[[datetime], None],
    last_change: datetime,
) -> ReplayStats:
    """Apply changes and run (or skip) tasks in time order; stop once all is noticed."""
    stats = ReplayStats()
    previous: datetime | None = None  # the last task instant, run or skipped
    for tick in ticks:
        set_clock(tick.at)
        if tick.change is not None:
            apply_change(fake, tick.change)
            tracker.apply(tick.change)
            continue
        assert tick.task is not None
        if tick.at > last_change and not tracker.pending:
            break
        if tick.at in windows or tracker.pending:
            if previous is not None:  # each simulated instant accounts for the time since the last
                stats.seconds_run += (tick.at - previous).total_seconds()
            client.run(tick.task)
            stats.ran += 1
        else:
            client.skip(tick.task)
            stats.skipped += 1
        previous = tick.at
    return stats
