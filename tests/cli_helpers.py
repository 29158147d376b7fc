"""Run the real ``dockwatch`` command line in a subprocess with a test's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from harness.redis_keys import TEST_REDIS_URL

REDIS_URL = TEST_REDIS_URL
REPO = Path(__file__).resolve().parent.parent


def cli_env(
    database_url: str, redis_prefix: str, upstream_url: str, **extra: str
) -> dict[str, str]:
    """The environment of a dockwatch process isolated to this test's database and keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
    env.update(
        DOCKWATCH_DATABASE_URL=database_url,
        DOCKWATCH_REDIS_URL=REDIS_URL,
        DOCKWATCH_KEY_PREFIX=redis_prefix,
        DOCKWATCH_STREAM=f"{redis_prefix}:events",
        DOCKWATCH_UPSTREAM_URL=upstream_url,
        DOCKWATCH_HTTP_MAX_WAIT_SECONDS="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def dockwatch_argv(*args: str) -> list[str]:
    """argv running the CLI with this interpreter."""
    return [sys.executable, "-m", "worker.cli", *args]


def run_cli(
    env: Mapping[str, str], *args: str, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``dockwatch ARGS`` to completion."""
    return subprocess.run(
        dockwatch_argv(*args),
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(env: Mapping[str, str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start ``dockwatch ARGS`` in the background."""
    return subprocess.Popen(
        dockwatch_argv(*args),
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
