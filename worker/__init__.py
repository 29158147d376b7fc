"""Sync service: upstream client, rate budget, sync engine, Celery tasks and notification relay.

Importing this package has no side effects (the Celery app lives in ``worker.app``).
"""
