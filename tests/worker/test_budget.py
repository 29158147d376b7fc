"""The shared request budget, on the real Redis, with clocks the tests control."""

from __future__ import annotations

import bisect
import json
import multiprocessing
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import cast

import pytest
import redis

from tests.conftest import REDIS_URL
from tests.worker.budget_helpers import try_acquire
from worker.upstream.budget import RequestBudget
from worker.upstream.errors import BudgetExhausted

START = 1_000_000.0
HOUR = 3600.0


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SharedClock:
    """A clock every process reads from one Redis key; ``last`` is the value it returned last."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.last = 0.0

    def __call__(self) -> float:
        raw = cast("bytes | None", self.client.get(self.key))
        assert raw is not None
        self.last = float(raw)
        return self.last


def _max_in_any_window(times: list[float], window: float) -> int:
    """The most sends any half-open window ``[s, s + window)`` holds (s at a send is enough)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, start + window) - i for i, start in enumerate(ordered)),
        default=0,
    )


def _hammer(
    redis_url: str,
    prefix: str,
    clock_key: str,
    results_key: str,
    seed: int,
    iterations: int,
    barrier: multiprocessing.synchronize.Barrier,
) -> None:
    """Child process: try to spend, then push the shared clock forward; report granted times."""
    client = redis.Redis.from_url(redis_url)
    clock = SharedClock(client, clock_key)
    budget = RequestBudget(
        client, prefix, 15, clock=clock, upstream_url="http://upstream.test/2.2.0"
    )
    rng = random.Random(seed)
    granted: list[float] = []
    barrier.wait()
    for _ in range(iterations):
        if try_acquire(budget):
            granted.append(clock.last)
        client.incrbyfloat(clock_key, rng.uniform(0, 60))
    client.rpush(results_key, json.dumps(granted))


def _outcomes_at(redis_url: str, prefix: str, times: list[float]) -> list[float | None]:
    """Child process: for each clock value, None if acquire succeeded, else its resume_at."""
    client = redis.Redis.from_url(redis_url)
    clock = FakeClock()
    budget = RequestBudget(
        client, prefix, 15, clock=clock, upstream_url="http://upstream.test/2.2.0"
    )
    outcomes: list[float | None] = []
    for now in times:
        clock.now = now
        try:
            budget.acquire()
        except BudgetExhausted as exhausted:
            outcomes.append(exhausted.resume_at)
        else:
            outcomes.append(None)
    return outcomes


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def budget(redis_client: redis.Redis, redis_prefix: str, clock: FakeClock) -> RequestBudget:
    return RequestBudget(
        redis_client, redis_prefix, 15, clock=clock, upstream_url="http://upstream.test/2.2.0"
    )


def _recorded(client: redis.Redis, budget: RequestBudget) -> list[float]:
    entries = cast(
        "list[tuple[bytes, float]]", client.zrange(budget.budget_key, 0, -1, withscores=True)
    )
    return [score for _member, score in entries]


def test_grants_the_limit_then_refuses(budget: RequestBudget, clock: FakeClock) -> None:
    granted = []
    for _ in range(20):
        granted.append(try_acquire(budget))
        clock.now += 1
    assert granted == [True] * 15 + [False] * 5


def test_refused_requests_are_never_recorded(
    budget: RequestBudget, clock: FakeClock, redis_client: redis.Redis
) -> None:
    for _ in range(15):
        budget.acquire()
        clock.now += 10
    for _ in range(50):
        assert not try_acquire(budget)
        with pytest.raises(BudgetExhausted):
            budget.acquire()
        clock.now += 1
    assert len(_recorded(redis_client, budget)) == 15
    assert budget.usage().used == 15


def test_exhausted_budget_names_when_the_oldest_send_leaves_the_window(
    budget: RequestBudget, clock: FakeClock
) -> None:
    first = clock.now
    for _ in range(15):
        budget.acquire()
        clock.now += 7.25
    with pytest.raises(BudgetExhausted) as exhausted:
        budget.acquire()
    assert exhausted.value.resume_at == first + HOUR


def test_a_slot_frees_exactly_when_the_oldest_send_is_an_hour_old(
    budget: RequestBudget, clock: FakeClock
) -> None:
    first = clock.now
    for _ in range(15):
        budget.acquire()
        clock.now += 100
    clock.now = first + HOUR - 0.001
    assert not try_acquire(budget)
    clock.now = first + HOUR
    assert try_acquire(budget)
    assert not try_acquire(budget)


def test_budget_state_survives_a_process_restart(
    budget: RequestBudget, clock: FakeClock, redis_prefix: str
) -> None:
    for _ in range(10):
        budget.acquire()
    fresh_connection = redis.Redis.from_url(REDIS_URL)
    try:
        restarted = RequestBudget(
            fresh_connection,
            redis_prefix,
            15,
            clock=clock,
            upstream_url="http://upstream.test/2.2.0",
        )
        assert restarted.usage().used == 10
        assert [try_acquire(restarted) for _ in range(6)] == [True] * 5 + [False]
    finally:
        fresh_connection.close()


def test_usage_reports_used_left_and_the_next_slot(budget: RequestBudget, clock: FakeClock) -> None:
    fresh = budget.usage()
    assert (fresh.used, fresh.limit, fresh.left, fresh.next_slot_at, fresh.not_before) == (
        0,
        15,
        15,
        None,
        None,
    )
    first = clock.now
    for _ in range(15):
        budget.acquire()
        clock.now += 1
    full = budget.usage()
    assert (full.used, full.left, full.next_slot_at) == (15, 0, first + HOUR)


def test_a_lower_limit_waits_until_enough_sends_have_aged_out(
    budget: RequestBudget, clock: FakeClock, redis_client: redis.Redis, redis_prefix: str
) -> None:
    for _ in range(10):
        budget.acquire()
        clock.now += 1
    strict = RequestBudget(
        redis_client, redis_prefix, 5, clock=clock, upstream_url="http://upstream.test/2.2.0"
    )
    # Six of the ten sends must age out before fewer than five remain in the window.
    assert strict.usage().next_slot_at == START + 5 + HOUR
    with pytest.raises(BudgetExhausted) as exhausted:
        strict.acquire()
    assert exhausted.value.resume_at == START + 5 + HOUR


def test_deferral_blocks_every_acquire_until_the_clock_passes_it(
    budget: RequestBudget, clock: FakeClock
) -> None:
    deadline = clock.now + 120
    budget.defer_until(deadline)
    assert budget.usage().not_before == deadline
    for step in (0, 60, 119.999):
        clock.now = START + step
        with pytest.raises(BudgetExhausted) as exhausted:
            budget.acquire()
        assert exhausted.value.resume_at == deadline
    assert budget.usage().used == 0
    clock.now = deadline
    assert try_acquire(budget)
    assert budget.usage().not_before is None


def test_deferral_holds_in_every_other_process(
    budget: RequestBudget, clock: FakeClock, redis_prefix: str
) -> None:
    deadline = clock.now + 120
    budget.defer_until(deadline)
    times = [START, START + 60, START + 119.5, deadline, deadline + 1]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes = pool.submit(_outcomes_at, REDIS_URL, redis_prefix, times).result(timeout=120)
    assert outcomes == [deadline, deadline, deadline, None, None]
    assert not try_acquire(budget)  # this process is still at START


def test_a_later_deferral_wins_and_an_earlier_one_is_ignored(
    budget: RequestBudget, clock: FakeClock
) -> None:
    budget.defer_until(clock.now + 300)
    budget.defer_until(clock.now + 30)
    assert budget.usage().not_before == START + 300
    budget.defer_until(clock.now + 600)
    assert budget.usage().not_before == START + 600


def test_a_deferral_already_past_is_not_stored(
    budget: RequestBudget, clock: FakeClock, redis_client: redis.Redis
) -> None:
    budget.defer_until(clock.now - 5)
    assert redis_client.exists(budget.not_before_key) == 0
    assert try_acquire(budget)


def test_the_deferral_key_expires_after_its_deadline(
    budget: RequestBudget, clock: FakeClock, redis_client: redis.Redis
) -> None:
    budget.defer_until(clock.now + 120)
    ttl_ms = cast("int", redis_client.pttl(budget.not_before_key))
    assert 120_000 < ttl_ms <= 240_000


def test_exhausted_and_deferred_resumes_at_the_later_of_both(
    budget: RequestBudget, clock: FakeClock
) -> None:
    for _ in range(15):
        budget.acquire()
    budget.defer_until(clock.now + 60)
    with pytest.raises(BudgetExhausted) as exhausted:
        budget.acquire()
    assert exhausted.value.resume_at == START + HOUR
    assert budget.usage().next_slot_at == START + HOUR


def test_a_lagging_clock_still_sees_sends_a_faster_process_made(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    slow, fast = FakeClock(START), FakeClock(START + HOUR + 100)
    slow_budget = RequestBudget(
        redis_client, redis_prefix, 15, clock=slow, upstream_url="http://upstream.test/2.2.0"
    )
    fast_budget = RequestBudget(
        redis_client, redis_prefix, 15, clock=fast, upstream_url="http://upstream.test/2.2.0"
    )
    for _ in range(15):
        slow_budget.acquire()
    fast_budget.acquire()  # its window no longer holds the fifteen; it must not forget them
    slow.now = START + 500
    assert not try_acquire(slow_budget)


def test_two_processes_never_exceed_fifteen_in_any_hour(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    clock_key, results_key = f"{redis_prefix}:clock", f"{redis_prefix}:results"
    redis_client.set(clock_key, repr(START))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2, timeout=120)
    workers = [
        context.Process(
            target=_hammer,
            args=(REDIS_URL, redis_prefix, clock_key, results_key, seed, 300, barrier),
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [worker.exitcode for worker in workers] == [0, 0]

    reports = cast("list[bytes]", redis_client.lrange(results_key, 0, -1))
    granted: list[float] = [t for report in reports for t in json.loads(report)]
    assert _max_in_any_window(granted, HOUR) == 15
    final = float(cast("bytes", redis_client.get(clock_key)))
    assert final - START > 3 * HOUR  # the run spans several windows
    # Only granted sends are recorded, and nothing younger than the pruning horizon is lost.
    recorded = Counter(
        _recorded(
            redis_client,
            RequestBudget(
                redis_client, redis_prefix, 15, upstream_url="http://upstream.test/2.2.0"
            ),
        )
    )
    assert not recorded - Counter(granted)
    assert not Counter(t for t in granted if t > final - 2 * HOUR) - recorded
