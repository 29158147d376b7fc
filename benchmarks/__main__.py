"""``python -m benchmarks [--quick] [name …]``: run the benchmarks in sequence, each bounded.

Each benchmark runs as ``python -m benchmarks.<name>`` in a child process (its own memory, its
own threads) that is killed when it outlives its bound; its output streams through as it comes.
At the end comes one summary line per benchmark. The exit status is non-zero when one failed or
ran out of time. Sizes live in each module (``python -m benchmarks.ingest --help``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

SUMMARY_PREFIX = "SUMMARY"  # as benchmarks.figures prints it (not imported: keep this process lean)
# name -> seconds allowed in a full run (at most 30 minutes in all; a full run takes about 14 on
# this 2-core machine).
BOUNDS = {
    "freshness": 180,
    "ingest": 240,
    # About 200 s: 7 routes on 4 servers under 8 connections, then 4 on one keep-alive connection.
    "mirror": 240,
    "notify": 120,
    "subscribers": 240,
    # Four first fills, each writing the mirror's documents too (100,000 on PostgreSQL ~100 s).
    "memory": 300,
    # Filling 100,000 events (the sync's own writes) takes most of it.
    "mirror_memory": 480,
}
QUICK_BOUND = 60


def run_one(name: str, arguments: list[str], bound: float) -> tuple[str, float, bool]:
    """Run one benchmark child, echoing its output; returns its summary, wall time and success."""
    command = [sys.executable, "-m", f"benchmarks.{name}", *arguments]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, bufsize=1, start_new_session=True
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        os.killpg(child.pid, signal.SIGKILL)

    timer = threading.Timer(bound, expire)
    timer.start()
    line_found = ""
    try:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.startswith(SUMMARY_PREFIX):
                line_found = line.strip()
        child.wait()
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    if expired.is_set():
        return f"{SUMMARY_PREFIX} {name}: stopped after its {bound:.0f} s bound", seconds, False
    if child.returncode != 0 or not line_found:
        return f"{SUMMARY_PREFIX} {name}: failed (exit {child.returncode})", seconds, False
    return line_found, seconds, True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; 0 when all of them printed their summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BOUNDS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--bound-scale", type=float, default=1.0, help="multiply every time bound (slow machines)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BOUNDS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    names = args.names or list(BOUNDS)
    extra = ["--quick"] if args.quick else []
    results = []
    for name in names:
        bound = (QUICK_BOUND if args.quick else BOUNDS[name]) * args.bound_scale
        print(f"=== {name} (bounded to {bound:.0f} s) ===", flush=True)
        results.append(run_one(name, extra, bound))
    print("=== summary ===")
    for line, seconds, _ok in results:
        print(f"{line}  [{seconds:.0f} s]")
    return 0 if all(ok for _, _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
