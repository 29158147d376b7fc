"""The Celery application (broker: Redis), configured from ``celeryconfig``.

This is the edge of Celery's worker and beat: a bad setting ends them with the command line's one
line and exit code 2 (``worker.cli.errors.settings_or_exit``), before Celery reads its config,
which would otherwise turn it into a traceback and exit code 1.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger

from worker.cli.errors import settings_or_exit
from worker.redis_outage import quiet_redis_outages


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


@after_setup_logger.connect
def _one_line_per_redis_outage(logger: logging.Logger, **_kwargs: Any) -> None:
    """The worker and beat: a Redis outage is two lines, not a log (or traceback) per retry."""
    quiet_redis_outages(logger.handlers, str(app.conf.broker_url))
