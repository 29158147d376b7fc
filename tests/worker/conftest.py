"""Fixtures of the upstream client tests: fake time, a scripted upstream, a budget, clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.worker.client_doubles import FakeTime, Upstream, http_client
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def budget(redis_client: redis.Redis, redis_prefix: str, fake_time: FakeTime) -> RequestBudget:
    return RequestBudget(
        redis_client,
        redis_prefix,
        15,
        clock=fake_time.clock,
        upstream_url="http://upstream.test/2.2.0",
    )


@pytest.fixture
def make_client(
    upstream: Upstream, budget: RequestBudget, fake_time: FakeTime
) -> Iterator[Callable[..., UpstreamClient]]:
    """Builds clients on ``upstream`` and ``budget`` whose sleeps move ``fake_time``."""
    clients: list[httpx.Client] = []

    def make(max_attempts: int = 3, max_wait: float = 60.0, **kwargs: object) -> UpstreamClient:
        http = http_client(upstream)
        clients.append(http)
        return UpstreamClient(
            http,
            budget,
            max_attempts=max_attempts,
            max_wait=max_wait,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            **kwargs,  # type: ignore[arg-type]
        )

    yield make
    for http in clients:
        http.close()
