"""The single-flight lock on the real Redis, within one process and across processes, and the
holder it names (taken over at once when it died on this host)."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

import pytest
import redis

from tests.conftest import REDIS_URL
from worker.sync.lock import Holder, SingleFlight, process_exists

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
        assert not lock.acquire()  # the pool's process holds it, and lives
    # The pool's process has exited holding the lock: a process of the same host takes over.
    assert lock.acquire()


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


# --- the holder: named in the token, taken over at once when it died on this host -------------

TAKE_AND_DIE = """
import os, sys, redis
from worker.sync.lock import Holder, SingleFlight, process_exists
assert SingleFlight(redis.Redis.from_url(sys.argv[1]), sys.argv[2], 3600).acquire()
os._exit(0)  # dies holding the lock: no release, no cleanup
"""


def _holder_dies_holding(key: str) -> int:
    """Run a process that takes the lock (for an hour) and dies; returns its (reaped) pid."""
    child = subprocess.run(
        [sys.executable, "-c", TAKE_AND_DIE, REDIS_URL, key],
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        timeout=120,
    )
    assert child.returncode == 0
    holder = Holder.of_token(cast("bytes", redis.Redis.from_url(REDIS_URL).get(key)))
    assert holder is not None
    return holder.pid


def test_the_lock_names_its_holder(redis_client: redis.Redis, key: str) -> None:
    lock = SingleFlight(redis_client, key, TTL, clock=lambda: 1_700_000_000.5)
    assert lock.holder() is None
    assert lock.acquire()

    holder = lock.holder()

    assert holder is not None
    assert (holder.host, holder.pid, holder.since) == (
        socket.gethostname(),
        os.getpid(),
        1_700_000_000.5,
    )
    assert 0 < holder.expires_in_seconds <= TTL


def test_a_holder_that_died_on_this_host_is_taken_over_at_once(
    redis_client: redis.Redis, key: str
) -> None:
    dead_pid = _holder_dies_holding(key)
    assert cast("int", redis_client.pttl(key)) > 3_000_000  # an hour's TTL still runs

    successor = SingleFlight(redis_client, key, TTL)

    assert successor.acquire()
    assert successor.held
    holder = successor.holder()
    assert holder is not None
    assert dead_pid != os.getpid()
    assert holder.pid == os.getpid()


@pytest.mark.parametrize(
    ("token", "alive"),
    [
        pytest.param(
            lambda: Holder("elsewhere.example", 4242, 0.0).token(), False, id="other-host"
        ),
        pytest.param(
            lambda: Holder(socket.gethostname(), 4242, 0.0, "pid:[1]").token(),
            False,
            id="other-pid-namespace",
        ),
        pytest.param(
            lambda: Holder.this_process(0.0).token().replace(str(os.getpid()), "4242"),
            True,
            id="live-process",
        ),
        pytest.param(lambda: "a-token-that-names-nobody", False, id="unnamed"),
    ],
)
def test_a_holder_not_known_dead_here_keeps_the_lock_until_its_ttl(
    redis_client: redis.Redis, key: str, token: Callable[[], str], alive: bool
) -> None:
    redis_client.set(key, token(), px=60_000)
    checked: list[int] = []

    def is_alive(pid: int) -> bool:
        checked.append(pid)
        return alive

    lock = SingleFlight(redis_client, key, TTL, alive=is_alive)

    assert not lock.acquire()
    assert not lock.held
    assert checked == ([4242] if alive else [])


def test_a_killed_but_unreaped_process_counts_as_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 60
        while process_exists(child.pid):  # exits, stays a zombie until reaped below
            assert time.monotonic() < deadline, "the child never exited"
        assert child.poll() == 0
    finally:
        child.wait(timeout=60)
    assert not process_exists(child.pid)
    assert process_exists(os.getpid())
