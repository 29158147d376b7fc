"""Celery settings (lowercase names), computed from dockwatch's settings.

Tasks are idempotent (a re-run of a sync cycle writes nothing new), so ``acks_late`` is safe;
prefetch 1 keeps a long cycle from holding queued work hostage. Each scheduled task expires
after one interval: a backlog of stale polls is pointless, the next one is coming.
"""

from __future__ import annotations

from typing import Any

from settings import get_settings
from worker.schedule import derive_cadence

_settings = get_settings()
_cadence = derive_cadence(
    _settings.rate_limit_per_hour, _settings.sweep_budget_share, _settings.poll_interval_seconds
)

broker_url = _settings.redis_url
broker_connection_retry_on_startup = True
broker_transport_options = {"visibility_timeout": 3 * 3600, "global_keyprefix": ""}
task_default_queue = f"{_settings.key_prefix}:tasks"
task_ignore_result = True
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
# A cycle is bounded by the budget; these only stop a hung one.
task_soft_time_limit = 1500
task_time_limit = 1800
worker_hijack_root_logger = False
timezone = "UTC"
enable_utc = True
beat_schedule: dict[str, dict[str, Any]] = {
    "poll": {
        "task": "dockwatch.sync_poll",
        "schedule": _cadence.poll,
        "options": {"expires": _cadence.poll},
    },
    "sweep": {
        "task": "dockwatch.sync_sweep",
        "schedule": _cadence.sweep,
        "options": {"expires": _cadence.sweep},
    },
    "relay": {
        "task": "dockwatch.relay_outbox",
        "schedule": _cadence.relay,
        "options": {"expires": _cadence.relay},
    },
}
