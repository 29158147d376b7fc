"""Notify: commit-to-subscriber latency (median, p99) over 1,000 changes.

A thin driver over ``benchmarks.notify_latency`` (which holds the measurement itself): both relay
paths (``direct``: the committing process relays right after its commit; ``loop``: the relay
thread woken through Pub/Sub) on SQLite and on PostgreSQL, a throwaway schema each.

    python -m benchmarks.notify [--quick] [--changes 1000] [--dbs sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence

from benchmarks.databases import POSTGRES_URL, REDIS_URL, parse_kinds
from benchmarks.figures import median, percentile, summary
from benchmarks.notify_latency import measure, scratch_database

MODES = ("direct", "loop")


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 changes on SQLite")
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--dbs", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    changes = 20 if args.quick else args.changes
    kinds = ["sqlite"] if args.quick else parse_kinds(args.dbs)
    print(f"notify: commit-to-subscriber latency over {changes} changes, one at a time")
    worst: tuple[str, float] = ("", 0.0)
    figures = []
    with tempfile.TemporaryDirectory(prefix="dwbench-notify-") as tmp:
        for kind in kinds:
            admin = f"sqlite:///{tmp}/notify.db" if kind == "sqlite" else POSTGRES_URL
            for mode in MODES:
                with scratch_database(admin) as url:
                    ms = measure(url, REDIS_URL, mode, changes)
                p50, p99 = median(ms), percentile(ms, 0.99)
                print(
                    f"  {kind:<10} relay={mode:<6} n={len(ms)}  median {p50:6.2f} ms  "
                    f"p99 {p99:6.2f} ms  max {max(ms):6.2f} ms"
                )
                figures.append(f"{kind}/{mode} {p50:.1f}/{p99:.1f}")
                if p99 > worst[1]:
                    worst = (f"{kind}/{mode}", p99)
    return summary(
        "notify",
        "median/p99 ms " + ", ".join(figures) + f"; worst p99 {worst[1]:.1f} ms ({worst[0]}) "
        "(target: p99 <= 50 ms)",
    )


if __name__ == "__main__":
    main()
