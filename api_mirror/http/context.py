"""What the HTTP app's handlers share: the engine, the snapshots, the clock and the caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from starlette.requests import Request

from api_mirror.read.answer_cache import ResponseCache
from api_mirror.read.current import Snapshots
from models.store.status import BudgetReader, LockReader
from models.support.clock import Clock


@dataclass(frozen=True)
class MirrorContext:
    """Built once by ``create_app``; handlers find it on ``request.app.state.mirror``."""

    engine: Engine
    snapshots: Snapshots
    trust_proxy: bool
    upstream_base: str
    clock: Clock
    budget: BudgetReader | None
    lock: LockReader | None
    stale_after_seconds: float
    cache: ResponseCache = field(default_factory=ResponseCache)


def context_of(request: Request) -> MirrorContext:
    """The app's shared context."""
    context: MirrorContext = request.app.state.mirror
    return context
