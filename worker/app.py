"""The Celery application (broker: Redis), configured from ``celeryconfig``."""

from __future__ import annotations

import logging

from celery import Celery


def create_celery_app() -> Celery:
    """A Celery app with dockwatch's tasks registered."""
    # One line per upstream request at INFO would drown the cycle summaries.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    celery_app = Celery("dockwatch")
    celery_app.config_from_object("celeryconfig")
    celery_app.autodiscover_tasks(["worker"], related_name="tasks", force=True)
    return celery_app


app = create_celery_app()
