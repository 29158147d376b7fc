"""The Celery application (broker: Redis), configured from ``celeryconfig``.

This is the edge of Celery's worker and beat: a bad setting ends them with the command line's one
line and exit code 2 (``worker.cli.errors.settings_or_exit``), before Celery reads its config,
which would otherwise turn it into a traceback and exit code 1.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from worker import log_format
from worker.cli.errors import settings_or_exit
from worker.redis_outage import SUPERVISOR_ENV, quiet_redis_outages

log = logging.getLogger(__name__)


def create_celery_app() -> Celery:
    """A Celery app with dockwatch's tasks registered; exits 2 on a bad setting."""
    settings_or_exit()
    # One line per upstream request at INFO would drown the cycle summaries.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    celery_app = Celery("dockwatch")
    celery_app.config_from_object("celeryconfig")
    celery_app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
    return celery_app


app = create_celery_app()
# Celery warns (running as root, say) before it sets up logging: even that in the one format.
log_format.capture_warnings()


@setup_logging.connect
def _dockwatch_logging(**_kwargs: Any) -> None:
    """The worker and beat log as every dockwatch process does (``worker.log_format``), at
    ``DOCKWATCH_LOG_LEVEL``; a Redis outage is two lines, not a log (or traceback) per retry."""
    log_format.configure(str(app.conf.dockwatch_log_level))
    quiet_redis_outages(logging.getLogger().handlers, str(app.conf.broker_url))
    if not os.environ.get(SUPERVISOR_ENV):  # under ``dockwatch run`` the supervisor warned
        for line in app.conf.dockwatch_unknown_variables:
            log.warning("%s", line)
