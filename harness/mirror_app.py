"""The mirror's app as the tests and benchmarks build it: through the bootstrap, as
``dockwatch serve`` does, with the values a test varies replaced.

``mirror_app(engine, clock=…, check_seconds=None, event_feed=…)``: keyword arguments naming a
field of ``MirrorConfig`` (``trust_proxy``, ``check_seconds`` — None: no timer —,
``cache_bytes``, …) replace that value of the settings; the others are parts of the mirror's
Redis side (``budget``, ``lock``, ``event_feed``, ``fleet_redis``, ``hints``), and a part not
named is not wired (it answers as without Redis). ``settings`` defaults to the environment's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api_mirror.http.config import MirrorConfig
from models.support.clock import Clock, utc_now
from settings import Settings
from worker.bootstrap import MirrorRedis, build_mirror_app, mirror_config

CONFIG_FIELDS = frozenset(field.name for field in dataclasses.fields(MirrorConfig))


def mirror_app(
    engine: Engine, *, settings: Settings | None = None, clock: Clock = utc_now, **changes: Any
) -> FastAPI:
    """The mirror's app over ``engine`` (see the module docstring for ``changes``)."""
    settings = Settings(_env_file=None) if settings is None else settings
    values = {name: value for name, value in changes.items() if name in CONFIG_FIELDS}
    parts = {name: value for name, value in changes.items() if name not in CONFIG_FIELDS}
    config = dataclasses.replace(mirror_config(settings), **values)
    return build_mirror_app(
        settings, engine, clock=clock, config=config, redis_side=MirrorRedis(**parts)
    )
