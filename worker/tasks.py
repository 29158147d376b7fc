"""Thin Celery tasks: each builds (once per process) the runtime and runs one cycle."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import shared_task

from settings import get_settings
from worker.runtime import Runtime, build_runtime, relay_now, run_locked_cycle
from worker.sync import Mode

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """The worker process's runtime (one HTTP client, one engine, one Redis pool)."""
    return build_runtime(get_settings())


def _relay() -> int:
    return relay_now(runtime())


def _cycle(mode: Mode) -> dict[str, Any]:
    summary = run_locked_cycle(runtime(), mode, after_commit=_relay)
    if summary is None:
        log.info("sync %s skipped: another cycle is running", mode.value)
        return {"skipped": True}
    return summary.as_json()


@shared_task(name="dockwatch.sync_poll")
def sync_poll() -> dict[str, Any]:
    """The incremental poll (or the first fill)."""
    return _cycle(Mode.POLL)


@shared_task(name="dockwatch.sync_sweep")
def sync_sweep() -> dict[str, Any]:
    """One paced page of the reconciliation sweep, then pending removal checks."""
    return _cycle(Mode.SWEEP_STEP)


@shared_task(name="dockwatch.relay_outbox")
def relay_outbox() -> int:
    """Safety net: publish whatever the outbox still holds."""
    return _relay()
