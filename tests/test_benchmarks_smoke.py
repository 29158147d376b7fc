"""Smoke test of the benchmarks: each completes in its quickest configuration and prints its
summary line. Figures are printed, never asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ["freshness", "ingest", "mirror", "notify", "subscribers", "memory", "mirror_memory"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_quick_run_prints_its_summary(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", name, "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"SUMMARY {name}: " in done.stdout
