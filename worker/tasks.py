"""Thin Celery tasks: each builds (once per process) the runtime and runs one cycle.

Tasks take no arguments and are idempotent (a re-run of a cycle writes nothing new), so
``acks_late`` is safe. Notifications leave through the relay right after each commit; there is
no relay task.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_shutdown

from settings import get_settings
from worker.bootstrap import Runtime, build_runtime
from worker.sync.summary import Mode

log = logging.getLogger(__name__)

# A sweep step that found the lock busy tries again this much later, a few times at most.
SWEEP_RETRY_SECONDS = 30
SWEEP_RETRIES = 5


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """The worker process's runtime (one HTTP client, one engine, one Redis pool)."""
    return build_runtime(get_settings())


@worker_process_shutdown.connect
def _close_runtime(**_kwargs: Any) -> None:
    """A pool process ends with ``os._exit``, which closes nothing: release the runtime's
    connections first (the last SQLite connection to close removes the -wal and -shm files)."""
    if runtime.cache_info().currsize:
        runtime().close()
        runtime.cache_clear()


def _cycle(mode: Mode) -> dict[str, Any]:
    summary = runtime().run_cycle(mode)
    if summary is None:
        log.info("sync %s skipped: another cycle is running", mode.value)
        return {"skipped": True}
    return summary.as_json()


@shared_task(name="dockwatch.sync_poll")
def sync_poll() -> dict[str, Any]:
    """The incremental poll (or the first fill)."""
    return _cycle(Mode.POLL)


@shared_task(bind=True, name="dockwatch.sync_sweep", max_retries=SWEEP_RETRIES)
def sync_sweep(self: Task[[], dict[str, Any]]) -> dict[str, Any]:
    """One paced page of the reconciliation sweep, then pending removal checks.

    Beat fires it right after a poll (their intervals share a start); with several workers the
    poll often still holds the lock, so a skipped step is retried shortly instead of lost.
    """
    result = _cycle(Mode.SWEEP_STEP)
    if result.get("skipped"):
        raise self.retry(countdown=SWEEP_RETRY_SECONDS)
    return result
