"""Mirror memory: the serving process's RSS after a random walk of every page, in both modes.

For each size (10,000 and 100,000 events) the events are stored as the sync stores them in a
fresh SQLite file, the mirror starts as ``dockwatch serve`` runs it (one process, the default
answer cache unless ``--cache-mib``), and every list page (``limit=100``) is asked for once in
each mode, in a random order, twice: cold, then warm. The figures are the process's RSS after
start-up (the snapshot built, every event's body in it) and after the walks, its peak
(``VmHWM``), and the walks' time per page (a cold page costs its assembly, a warm one may come
from the answer cache).

    python -m benchmarks.mirror_memory [--quick] [--sizes 10000,100000] [--cache-mib 64]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from benchmarks.databases import scratch_url
from benchmarks.figures import summary
from benchmarks.loadgen import HOST
from benchmarks.mirror import LIST, fill, server_process

MODES = ("", "&mode=detailed")


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``); 0 where /proc is absent."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def walk(port: int, size: int, seed: int) -> float:
    """Every page once in each mode, in a random order; returns the mean seconds per page."""
    pages = [f"{LIST}?limit=100&offset={o}{m}" for o in range(0, size, 100) for m in MODES]
    random.Random(seed).shuffle(pages)
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=120) as client:
        for page in pages:
            answer = client.get(page)
            if answer.status_code != 200:
                raise SystemExit(f"the mirror answered {answer.status_code} for {page}")
    return (time.perf_counter() - started) / len(pages)


def measure(size: int, cache_mib: int | None) -> dict[str, float]:
    """One size: fill, serve, walk twice, read the figures."""
    with scratch_url("sqlite") as url:
        started = time.perf_counter()
        fill(url, size)
        filled = time.perf_counter() - started
        cap = [str(cache_mib)] if cache_mib else []
        launched = time.perf_counter()
        with server_process("mirror", url, *cap) as (port, pid):
            first_answer = time.perf_counter() - launched  # process start to the first page
            after_start = status_kib(pid, "VmRSS")
            cold = walk(port, size, seed=1)
            warm = walk(port, size, seed=2)
            return {
                "fill_s": filled,
                "first_answer_s": first_answer,
                "start_mib": after_start / 1024,
                "rss_mib": status_kib(pid, "VmRSS") / 1024,
                "peak_mib": status_kib(pid, "VmHWM") / 1024,
                "cold_ms": cold * 1000,
                "warm_ms": warm * 1000,
            }


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 and 600 events")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--cache-mib", type=int, default=None, help="the answer cache (MiB)")
    args = parser.parse_args(argv)
    sizes = [300, 600] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    cap = f"{args.cache_mib} MiB" if args.cache_mib else "the default"
    print(f"mirror memory: one serving process, answer cache {cap}, every page in both modes")
    parts = []
    for size in sizes:
        figures = measure(size, args.cache_mib)
        print(
            f"  {size:>7,} events: first answer {figures['first_answer_s']:.1f} s after the "
            f"process start; RSS {figures['start_mib']:.0f} MiB after start-up, "
            f"{figures['rss_mib']:.0f} MiB after the walks (peak {figures['peak_mib']:.0f}); "
            f"a page {figures['cold_ms']:.1f} ms cold, {figures['warm_ms']:.1f} ms warm "
            f"(filled in {figures['fill_s']:.0f} s)"
        )
        parts.append(
            f"{size:,}: first answer {figures['first_answer_s']:.1f} s, "
            f"RSS {figures['rss_mib']:.0f} MiB (peak {figures['peak_mib']:.0f}), "
            f"warm page {figures['warm_ms']:.1f} ms"
        )
    return summary("mirror_memory", "; ".join(parts))


if __name__ == "__main__":
    main()
