"""Running work under the fleet-wide single-flight lock, kept alive by a heartbeat thread.

The lock's TTL stays short (a cycle killed outright frees it within one TTL) while a heartbeat
extends it every third of the TTL. If an extension finds the lock gone (the TTL passed, for
example while the process was stopped), the work is told through ``still_locked`` and its unit
of work refuses to commit another page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import redis

from worker.sync.lock import SingleFlight

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_locked(lock: SingleFlight, work: Callable[[Callable[[], bool]], T]) -> T | None:
    """``work(still_locked)`` while holding ``lock``; None (without running) when it is held.

    ``still_locked()`` turns False for good once the heartbeat finds the lock lost.
    """
    if not lock.acquire():
        return None
    stop, lost = threading.Event(), threading.Event()
    heartbeat = threading.Thread(
        target=_keep_alive, args=(lock, stop, lost), name="sync-lock-heartbeat", daemon=True
    )
    heartbeat.start()
    try:
        return work(lambda: not lost.is_set())
    finally:
        stop.set()
        heartbeat.join()
        try:
            lock.release()
        except redis.RedisError as error:
            log.warning("could not release the sync lock (it expires by itself): %s", error)


def _keep_alive(lock: SingleFlight, stop: threading.Event, lost: threading.Event) -> None:
    while not stop.wait(lock.ttl_seconds / 3):
        try:
            extended = lock.extend()
        except redis.RedisError as error:
            log.warning("could not extend the sync lock: %s", error)
            continue
        if not extended:
            log.error("lost the sync lock (its TTL passed); stopping this cycle")
            lost.set()
            return
