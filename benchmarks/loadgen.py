"""A small HTTP/1.1 load generator for 127.0.0.1: keep-alive connections on asyncio streams.

``run_load`` keeps ``concurrency`` connections busy, each sending the next URL of the pool as soon
as its previous answer is read, for ``seconds`` (after a warm-up) or ``max_requests``, whichever
comes first. Raw streams rather than an HTTP client library: the generator must outrun the
trivial floor server on one core, or the floor would measure the generator.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.figures import median, percentile

HOST = "127.0.0.1"  # the only host this generator talks to


@dataclass
class LoadResult:
    """Latencies (seconds) of the answered requests, errors and the measured wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    body_bytes: int = 0

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        """Median latency in ms."""
        return median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        """99th percentile latency in ms."""
        return percentile(self.latencies, 0.99) * 1000 if self.latencies else 0.0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    """Send one request, read its answer; returns (status, body length)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        None,
    )
    if length is None:
        raise ValueError("an answer without Content-Length")
    await reader.readexactly(length)
    return status, length


async def _connection(
    port: int,
    urls: itertools.cycle[str],
    result: LoadResult,
    measure_from: float,
    stop_at: float,
    budget: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    host = f"{HOST}:{port}"
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            url = next(urls)
            request = f"GET {url} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode()
            started = time.perf_counter()
            status, length = await _exchange(reader, writer, request)
            if started < measure_from:
                continue  # warm-up
            budget[0] -= 1
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
                result.body_bytes += length
            else:
                result.errors += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def _run(
    port: int, urls: Sequence[str], concurrency: int, seconds: float, warmup: float, limit: int
) -> LoadResult:
    result = LoadResult()
    pool = itertools.cycle(urls)
    begin = time.perf_counter()
    measure_from, stop_at = begin + warmup, begin + warmup + seconds
    budget = [limit]
    await asyncio.gather(
        *(
            _connection(port, pool, result, measure_from, stop_at, budget)
            for _ in range(concurrency)
        )
    )
    result.seconds = time.perf_counter() - measure_from
    return result


def run_load(
    port: int,
    urls: Sequence[str],
    *,
    concurrency: int = 8,
    seconds: float = 4.0,
    warmup: float = 0.5,
    max_requests: int = 50_000,
) -> LoadResult:
    """Load ``127.0.0.1:port`` with ``urls`` (cycled); bounded by time and by count."""
    return asyncio.run(_run(port, urls, concurrency, seconds, warmup, max_requests))
