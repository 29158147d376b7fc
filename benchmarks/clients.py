"""The two clients the freshness benchmark replays a year through, and what each did.

``run_dockwatch`` drives a real ``SyncCycle`` (via ``harness.sync_rig.SyncHarness``) as celery
beat would: one cycle per scheduled ``poll`` or ``sweep`` instant; a change counts as stored when
the engine's recorder sees it inside the committing cycle. ``run_baseline`` drives
``benchmarks.baseline.NaiveWalker`` one page per slot. Both talk to a ``MeteredUpstream``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from benchmarks.baseline import NaiveWalker
from benchmarks.databases import drop_redis_keys, scratch_engine
from benchmarks.history import ScriptedChange, YearHistory
from benchmarks.replay import ReplayStats, Tracker, Windows, replay, timeline
from benchmarks.upstream import MeteredUpstream, use_in_process_transport
from harness.sync_rig import SyncHarness
from worker.schedule import HOUR, Cadence
from worker.sync.changes import Change, ChangeKind
from worker.sync.summary import Mode
from worker.sync.unit_of_work import Recorder

LEAD = dt.timedelta(minutes=75)  # longer than the 3600 s budget window: its state is steady
TAIL = dt.timedelta(minutes=45)


@dataclass
class Outcome:
    """What one client did over the year."""

    name: str
    tracker: Tracker
    stats: ReplayStats
    requests: int
    throttled: int
    max_in_hour: int
    per_poll: Counter[int] = field(default_factory=Counter)
    cycles: Counter[str] = field(default_factory=Counter)

    @property
    def per_hour(self) -> float:
        """Requests per hour of simulated stretches."""
        hours = self.stats.seconds_run / HOUR
        return self.requests / hours if hours else 0.0


class BeatDriven:
    """dockwatch as beat drives it: ``poll`` and ``sweep`` tasks run one cycle each."""

    def __init__(self, harness: SyncHarness) -> None:
        self.harness = harness
        self.per_poll: Counter[int] = Counter()
        self.cycles: Counter[str] = Counter()

    def run(self, task: str) -> None:
        """One cycle of the task's mode."""
        mode = Mode.POLL if task == "poll" else Mode.SWEEP_STEP
        result = self.harness.cycle(mode)
        if mode is Mode.POLL:
            self.per_poll[result.requests] += 1
        self.cycles[f"{task} {result.reason or 'ok'}"] += 1

    def skip(self, task: str) -> None:
        """Nothing: a skipped cycle would have found nothing new."""


def _recorder(tracker: Tracker) -> Recorder:
    def record(_session: Session, changes: list[Change], now: dt.datetime) -> int:
        for change in changes:
            if change.kind is ChangeKind.CREATED:
                tracker.notice("dock", change.event_id, now)
                if change.departure is not None:
                    tracker.notice("undock", change.event_id, now)
            elif change.kind is ChangeKind.DEPARTURE_SET:
                tracker.notice("undock", change.event_id, now)
        return len(changes)

    return record


def year_changes(
    history: YearHistory,
) -> tuple[list[ScriptedChange], dt.datetime, dt.datetime]:
    """The year's changes, the last one's instant, and when to give up waiting for noticing."""
    changes = [c for c in history.changes if c.at < history.end]
    return changes, changes[-1].at, history.end + dt.timedelta(days=1)


def run_dockwatch(
    history: YearHistory,
    cadence: Cadence,
    *,
    limit: int,
    database: str,
    windows: Windows,
    sweep_first: bool,
) -> Outcome:
    """Replay the year through a SyncCycle run on the beat schedule."""
    changes, last, until = year_changes(history)
    tracker = Tracker()
    origin = history.start - LEAD
    fake = MeteredUpstream(history.background, limit_per_hour=limit, now=origin - LEAD)
    fake.start()  # for its base URL only: requests go through InProcessTransport
    prefix = f"dwbench:{uuid.uuid4().hex[:10]}"
    try:
        with scratch_engine(database) as engine:
            harness = SyncHarness(
                engine, fake, prefix, limit_per_hour=limit, record=_recorder(tracker)
            )
            use_in_process_transport(harness)
            try:
                fill = harness.cycle(Mode.POLL)
                if not fill.complete:
                    raise SystemExit(f"the first fill did not complete: {fill.as_json()}")
                fake.accepted_at.clear()
                tasks = [("sweep", cadence.sweep), ("poll", cadence.poll)]
                if not sweep_first:
                    tasks.reverse()
                client = BeatDriven(harness)

                def set_clock(at: dt.datetime) -> None:
                    harness.now = at

                stats = replay(
                    timeline(origin, until, tasks, changes),
                    fake=fake,
                    client=client,
                    tracker=tracker,
                    windows=windows,
                    set_clock=set_clock,
                    last_change=last,
                )
            finally:
                harness.close()
    finally:
        fake.stop()
        drop_redis_keys(prefix)
    return Outcome(
        "dockwatch",
        tracker,
        stats,
        len(fake.accepted_at),
        fake.throttled,
        fake.max_in_any_hour(),
        client.per_poll,
        client.cycles,
    )


def run_baseline(history: YearHistory, *, limit: int, windows: Windows) -> Outcome:
    """Replay the year through the naive walker, one page every ``3600 / limit`` seconds."""
    changes, last, until = year_changes(history)
    tracker = Tracker()
    origin = history.start - LEAD
    fake = MeteredUpstream(history.background, limit_per_hour=limit, now=origin - 2 * LEAD)
    walker = NaiveWalker(fake, tracker)
    walker.fill()
    fake.accepted_at.clear()

    def set_clock(at: dt.datetime) -> None:
        fake.now = at

    stats = replay(
        timeline(origin, until, [("page", HOUR / limit)], changes),
        fake=fake,
        client=walker,
        tracker=tracker,
        windows=windows,
        set_clock=set_clock,
        last_change=last,
    )
    return Outcome(
        "baseline", tracker, stats, len(fake.accepted_at), fake.throttled, fake.max_in_any_hour()
    )
