"""Freshness: how soon dockwatch stores a docking or an undocking, at 15 requests an hour.

A year of traffic (``benchmarks.history``: ~650 background events plus 40+ dockings and 40+
undockings at the ISS and Tiangong) is replayed through a fake upstream that enforces the hourly
limit itself (429 beyond it), in simulated time: the harness clock jumps from instant to instant,
nothing waits. dockwatch runs as beat drives it: a poll cycle every ``cadence.poll`` seconds and
a sweep step every ``cadence.sweep`` (``derive_cadence(limit, sweep_share)``), on a real SQLite
(or PostgreSQL) database and the real Redis budget. A change's latency runs from its instant
upstream to the cycle whose commit stored it (seen through the engine's notification recorder).
The same year then goes through the naive baseline (``benchmarks.baseline``) at the same budget.

    python -m benchmarks.freshness [--quick] [--every-cycle] [--sweep-share 0.2] [--sweep-first]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis
from sqlmodel import Session

from benchmarks.baseline import NaiveWalker
from benchmarks.databases import REDIS_URL, scratch_engine
from benchmarks.figures import median, minutes, percentile, ratio, summary
from benchmarks.history import ISS, TIANGONG, ScriptedChange, YearHistory, build_year
from benchmarks.replay import ReplayStats, Tracker, Windows, replay, timeline
from benchmarks.upstream import MeteredUpstream, use_in_process_transport
from tests.sync_harness import SyncHarness
from worker.schedule import HOUR, Cadence, derive_cadence
from worker.store import Change, ChangeKind
from worker.sync import Mode, Recorder

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


def _drop_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _year(history: YearHistory) -> tuple[list[ScriptedChange], dt.datetime, dt.datetime]:
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
    """Replay the year through a SyncEngine run on the beat schedule."""
    changes, last, until = _year(history)
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
        _drop_keys(prefix)
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
    changes, last, until = _year(history)
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


def _latency_line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<10} n=0"
    return (
        f"{label:<10} n={len(values):<3} median {minutes(median(values))}  "
        f"p95 {minutes(percentile(values, 0.95))}  max {minutes(max(values))}"
    )


def _report(outcome: Outcome) -> None:
    print(f"  {outcome.name}")
    for kind, label in (("dock", "docked"), ("undock", "undocked")):
        print(f"    {_latency_line(label, outcome.tracker.latencies(kind))}")
    stats = outcome.stats
    print(
        f"    requests {outcome.requests} over {stats.seconds_run / HOUR:.1f} simulated hours: "
        f"{outcome.per_hour:.2f}/h, at most {outcome.max_in_hour} in any hour; "
        f"429s received {outcome.throttled}; never noticed {outcome.tracker.missed()}"
    )
    print(f"    scheduled instants simulated {stats.ran}, skipped (nothing new) {stats.skipped}")
    if outcome.per_poll:
        polls = sum(outcome.per_poll.values())
        one = outcome.per_poll.get(1, 0)
        mean = sum(k * v for k, v in outcome.per_poll.items()) / polls
        print(
            f"    requests per poll: mean {mean:.3f}, {100 * one / polls:.1f}% exactly 1 "
            f"({dict(sorted(outcome.per_poll.items()))})"
        )
        print(f"    cycles: {dict(sorted(outcome.cycles.items()))}")


def _pooled(outcomes: list[Outcome], kind: str | None = None) -> list[float]:
    kinds = ("dock", "undock") if kind is None else (kind,)
    return [v for o in outcomes for k in kinds for v in o.tracker.latencies(k)]


def _one_year(args: argparse.Namespace, seed: int) -> tuple[Outcome, Outcome]:
    if args.quick:
        history = build_year(
            seed=seed, background=120, background_open=3, min_dockings=4, min_undockings=4
        )
        history.end = history.start + dt.timedelta(days=45)
    else:
        history = build_year(seed=seed)
    cadence = derive_cadence(args.limit, args.sweep_share)
    changes, _, _ = _year(history)
    windows = Windows([c.at for c in changes], None if args.every_cycle else LEAD, TAIL)
    order = "sweep first" if args.sweep_first else "poll first"
    print(
        f"year {history.start:%Y-%m-%d} to {history.end:%Y-%m-%d} (seed {seed}): "
        f"{len(history.background)} background events; dockings {history.count('dock')} "
        f"(ISS {history.count('dock', ISS)}, Tiangong {history.count('dock', TIANGONG)}), "
        f"undockings {history.count('undock')} (ISS {history.count('undock', ISS)}, "
        f"Tiangong {history.count('undock', TIANGONG)})"
    )
    simulated = (
        "every scheduled instant"
        if args.every_cycle
        else f"from {LEAD} before to {TAIL} after each change (and until it is noticed)"
    )
    print(
        f"  budget {args.limit}/h; cadence poll {cadence.poll:.0f} s, sweep step "
        f"{cadence.sweep:.0f} s (sweep share {args.sweep_share}, {order}); database "
        f"{args.database}; simulated {simulated}"
    )
    dockwatch = run_dockwatch(
        history,
        cadence,
        limit=args.limit,
        database=args.database,
        windows=windows,
        sweep_first=args.sweep_first,
    )
    _report(dockwatch)
    baseline = run_baseline(history, limit=args.limit, windows=windows)
    pages = max(1, -(-len(history.background) // 100))
    walk = pages * HOUR / args.limit / 60
    print(
        f"  baseline: one page every {HOUR / args.limit:.0f} s "
        f"(a {pages}-page walk every {walk:.0f} min)"
    )
    _report(baseline)
    return dockwatch, baseline


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="45 days, small background")
    parser.add_argument("--years", type=int, default=3, help="years replayed (seeds 7, 8, …)")
    parser.add_argument("--limit", type=int, default=15, help="requests per hour (default 15)")
    parser.add_argument("--sweep-share", type=float, default=0.2)
    parser.add_argument(
        "--sweep-first", action="store_true", help="when both are due, sweep before polling"
    )
    parser.add_argument(
        "--every-cycle", action="store_true", help="simulate every scheduled cycle (slow)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=7, help="seed of the first year")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    years = 1 if args.quick else max(1, args.years)
    ours_runs, theirs_runs = [], []
    for seed in range(args.seed, args.seed + years):
        dockwatch, baseline = _one_year(args, seed)
        ours_runs.append(dockwatch)
        theirs_runs.append(baseline)
    ours, theirs = _pooled(ours_runs), _pooled(theirs_runs)
    docked, undocked = _pooled(ours_runs, "dock"), _pooled(ours_runs, "undock")
    requests = sum(o.requests for o in ours_runs)
    hours = sum(o.stats.seconds_run for o in ours_runs) / HOUR
    throttled = sum(o.throttled for o in ours_runs) + sum(o.throttled for o in theirs_runs)
    print(f"all {years} year(s) pooled:")
    print(f"  dockwatch {_latency_line('docked', docked)}")
    print(f"  dockwatch {_latency_line('undocked', undocked)}")
    print(f"  baseline  {_latency_line('docked', _pooled(theirs_runs, 'dock'))}")
    print(f"  baseline  {_latency_line('undocked', _pooled(theirs_runs, 'undock'))}")
    print(
        f"  ratio baseline/dockwatch (all changes): median "
        f"{ratio(median(theirs), median(ours))}, p95 "
        f"{ratio(percentile(theirs, 0.95), percentile(ours, 0.95))}, "
        f"max {ratio(max(theirs), max(ours))}"
    )
    print(f"  wall time {time.perf_counter() - started:.1f} s")
    return summary(
        "freshness",
        f"docked median {minutes(median(docked))} p95 {minutes(percentile(docked, 0.95))}; "
        f"undocked median {minutes(median(undocked))} p95 "
        f"{minutes(percentile(undocked, 0.95))}; {requests / hours:.1f} req/h, "
        f"{throttled} x 429; baseline/dockwatch median {ratio(median(theirs), median(ours))} "
        f"(targets: median <= 3m, p95 <= 5m, >= x6)",
    )


if __name__ == "__main__":
    main()
