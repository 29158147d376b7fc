"""Celery settings (lowercase names), computed from dockwatch's settings (one line, exit 2 if bad).

Tasks are idempotent (a re-run of a sync cycle writes nothing new), so ``acks_late`` is safe;
prefetch 1 keeps a long cycle from holding queued work hostage. Each scheduled task expires
a margin before its next run is queued: a backlog of stale polls is pointless.
"""

from __future__ import annotations

from models.fleet.keys import TASK_QUEUE, FleetKeys
from settings import unknown_variables, variables_given
from worker.bootstrap import cadence_for
from worker.cli.errors import settings_or_exit
from worker.schedule import beat_schedule as beat_schedule_for

# A bad setting is one line and exit code 2 here too, should anything import this module first.
_settings = settings_or_exit()
_cadence = cadence_for(_settings)

broker_url = _settings.redis_url
broker_connection_retry_on_startup = True
# Every key Celery writes (the queue, kombu's exchange bindings, unacked messages) goes under
# the key prefix, so deployments sharing a Redis never meet and deleting ``<prefix>:*`` leaves
# nothing behind. The queue's list is ``<prefix>:tasks``.
broker_transport_options = {
    "visibility_timeout": 3 * 3600,
    "global_keyprefix": FleetKeys(_settings.key_prefix).celery,
}
task_default_queue = TASK_QUEUE
task_ignore_result = True
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
# A cycle is bounded by the budget; these only stop a hung one.
task_soft_time_limit = 1500
task_time_limit = 1800
worker_hijack_root_logger = False
# dockwatch's own (not Celery's): the worker and beat log in dockwatch's one format at this level
# (``worker.app`` takes over Celery's logging set-up; ``--loglevel`` is ignored) and warn once
# of each misspelled DOCKWATCH_* variable.
dockwatch_log_level = _settings.log_level
dockwatch_unknown_variables = unknown_variables(variables_given())
timezone = "UTC"
enable_utc = True
beat_schedule = beat_schedule_for(_cadence)
