"""The single-flight lock on the real Redis, within one process and across processes."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import cast

import pytest
import redis

from tests.conftest import REDIS_URL
from worker.sync.lock import SingleFlight

TTL = 60.0


def _try_to_take(redis_url: str, key: str) -> bool:
    """Child process: take the lock if free (and keep it until its TTL ends)."""
    client = redis.Redis.from_url(redis_url)
    return SingleFlight(client, key, TTL).acquire()


def _race_for(
    redis_url: str, key: str, results_key: str, barrier: multiprocessing.synchronize.Barrier
) -> None:
    client = redis.Redis.from_url(redis_url)
    lock = SingleFlight(client, key, TTL)
    barrier.wait()
    client.rpush(results_key, "won" if lock.acquire() else "lost")


@pytest.fixture
def key(redis_prefix: str) -> str:
    return f"{redis_prefix}:lock:sync"


def _wait_until_gone(client: redis.Redis, key: str) -> None:
    # Polls the condition itself (no sleep); pytest-timeout bounds it.
    while client.exists(key):
        pass


def test_a_second_holder_is_refused(redis_client: redis.Redis, key: str) -> None:
    first, second = SingleFlight(redis_client, key, TTL), SingleFlight(redis_client, key, TTL)
    assert first.acquire()
    assert not second.acquire()
    assert first.held
    assert not second.held


def test_release_lets_another_holder_in(redis_client: redis.Redis, key: str) -> None:
    first, second = SingleFlight(redis_client, key, TTL), SingleFlight(redis_client, key, TTL)
    assert first.acquire()
    assert first.release()
    assert second.acquire()


def test_the_lock_carries_its_ttl(redis_client: redis.Redis, key: str) -> None:
    lock = SingleFlight(redis_client, key, TTL)
    assert lock.acquire()
    assert 0 < cast("int", redis_client.pttl(key)) <= TTL * 1000


def test_extend_resets_the_ttl_while_held(redis_client: redis.Redis, key: str) -> None:
    lock = SingleFlight(redis_client, key, TTL)
    assert lock.acquire()
    redis_client.pexpire(key, 5_000)
    assert lock.extend()
    assert cast("int", redis_client.pttl(key)) > 5_000


def test_an_expired_lock_can_be_taken_over_and_the_old_holder_cannot_free_it(
    redis_client: redis.Redis, key: str
) -> None:
    stale = SingleFlight(redis_client, key, 0.05)
    assert stale.acquire()
    _wait_until_gone(redis_client, key)
    successor = SingleFlight(redis_client, key, TTL)
    assert successor.acquire()
    assert not stale.extend()
    assert not stale.release()
    assert successor.held


def test_a_holder_in_this_process_refuses_another_process_until_released(
    redis_client: redis.Redis, key: str
) -> None:
    lock = SingleFlight(redis_client, key, TTL)
    assert lock.acquire()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert not pool.submit(_try_to_take, REDIS_URL, key).result(timeout=120)
        lock.release()
        assert pool.submit(_try_to_take, REDIS_URL, key).result(timeout=120)
    assert not lock.acquire()


def test_exactly_one_of_several_racing_processes_wins(
    redis_client: redis.Redis, key: str, redis_prefix: str
) -> None:
    results_key = f"{redis_prefix}:results"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4, timeout=120)
    racers = [
        context.Process(target=_race_for, args=(REDIS_URL, key, results_key, barrier))
        for _ in range(4)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=240)
    assert [racer.exitcode for racer in racers] == [0] * 4
    outcomes = cast("list[bytes]", redis_client.lrange(results_key, 0, -1))
    assert sorted(outcomes) == [b"lost"] * 3 + [b"won"]
