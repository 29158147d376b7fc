"""Freshness: how soon dockwatch stores a docking or an undocking, at 15 requests an hour.

A year of traffic (``benchmarks.history``: ~650 background events plus 40+ dockings and 40+
undockings at the ISS and Tiangong) is replayed through a fake upstream that enforces the hourly
limit itself (429 beyond it), in simulated time: the harness clock jumps from instant to instant,
nothing waits. dockwatch runs as beat drives it: a poll cycle every ``cadence.poll`` seconds and
a sweep step every ``cadence.sweep`` (``derive_cadence(limit, sweep_share)``), on a real SQLite
(or PostgreSQL) database and the real Redis budget. A change's latency runs from its instant
upstream to the cycle whose commit stored it (seen through the engine's notification recorder).
The same year then goes through the naive baseline (``benchmarks.baseline``) at the same budget.

    python -m benchmarks.freshness [--quick] [--every-cycle] [--sweep-share 0.13] [--sweep-first]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence

from benchmarks.clients import LEAD, TAIL, Outcome, run_baseline, run_dockwatch, year_changes
from benchmarks.figures import median, minutes, percentile, ratio, summary
from benchmarks.history import ISS, TIANGONG, build_year
from benchmarks.replay import Windows
from settings import Settings
from worker.schedule import HOUR, derive_cadence


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
    changes, _, _ = year_changes(history)
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
    parser.add_argument(
        "--sweep-share",
        type=float,
        default=Settings.model_fields["sweep_budget_share"].default,
        help="share of the budget for sweep pages (default: the product's default)",
    )
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
