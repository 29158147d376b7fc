"""Load a 127.0.0.1 server with ``wrk`` (when installed), cycling through a pool of URLs.

``wrk`` (C, epoll) outruns any Python generator on a shared core, so the floor it measures is
the server's, not the generator's. A small Lua script hands each connection the next path of
the pool (each thread starts at its own place, so two threads rarely ask for the same page at
the same moment). A short unmeasured run warms the server up first. ``available()`` tells
whether ``wrk`` is on PATH (``scripts/install-wrk.sh`` installs Debian's); without it the
benchmarks fall back to ``benchmarks.loadgen``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([0-9.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*([0-9]+) requests in ", re.MULTILINE)
_BYTES = re.compile(r"requests in [0-9.]+\w+, ([0-9.]+)([KMG]?B) read")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: ([0-9]+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}

_SCRIPT = """
local paths = {%s}
local counter = 0
function setup(thread)
  thread:set("start", counter * 7919)
  counter = counter + 1
end
function init(args)
  i = start
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


@dataclass(frozen=True)
class Measured:
    """One run: answers per second, p50/p99 latency (ms), answers, errors, bytes per answer."""

    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    bytes_per_answer: float


def available() -> bool:
    """Whether ``wrk`` is installed."""
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(output: str) -> Measured:
    """The figures of one ``wrk --latency`` report; raises ValueError when it has none."""
    rate = _RATE.search(output)
    total = _TOTAL.search(output)
    if rate is None or total is None:
        raise ValueError(f"not a wrk report: {output[-400:]!r}")
    percentiles = {int(m[1]): float(m[2]) * _UNITS[m[3]] for m in _PERCENTILE.finditer(output)}
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET_ERRORS.search(output)
    errors = int(non_2xx[1]) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    requests = int(total[1])
    read = _BYTES.search(output)
    size = float(read[1]) * _SIZES[read[2]] / max(1, requests) if read else 0.0
    return Measured(
        rate=float(rate[1]),
        p50_ms=percentiles.get(50, 0.0),
        p99_ms=percentiles.get(99, 0.0),
        requests=requests,
        errors=errors,
        bytes_per_answer=size,
    )


def run(
    port: int,
    paths: Sequence[str],
    *,
    connections: int = 8,
    threads: int = 2,
    seconds: float = 4.0,
    warmup: float = 0.5,
) -> Measured:
    """``wrk -t{threads} -c{connections}`` for ``seconds`` over ``paths`` (after a warm-up)."""
    with tempfile.TemporaryDirectory(prefix="dwbench-wrk-") as directory:
        script = Path(directory) / "paths.lua"
        script.write_text(_SCRIPT % ",".join(_lua_string(p) for p in paths))
        url = f"http://{HOST}:{port}/"
        base = ["wrk", f"-t{threads}", f"-c{connections}", "--latency", "-s", str(script)]
        if warmup > 0:
            subprocess.run(
                [*base, f"-d{max(1, round(warmup))}s", url], capture_output=True, check=True
            )
        done = subprocess.run(
            [*base, f"-d{max(1, round(seconds))}s", "--timeout", "10s", url],
            capture_output=True,
            text=True,
            check=True,
        )
    return parse(done.stdout)
