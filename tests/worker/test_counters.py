"""The fleet-wide counters: what ``dockwatch sync`` counts, as a real process, and how a counter
that cannot reach Redis behaves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from fake_upstream import FakeUpstream
from models.fleet.counters import (
    SYNC_CYCLES,
    UPSTREAM_REQUESTS,
    SharedCounters,
    counter_key,
    cycle_outcome,
    status_class,
)
from models.support.stop_reason import StopReason
from tests.cli_helpers import cli_env, run_cli


def test_dockwatch_sync_counts_its_cycles_by_outcome_and_its_requests_by_status_class(
    database_url: str,
    redis_prefix: str,
    fake: FakeUpstream,
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url)
    filled = run_cli(env, "sync", cwd=tmp_path)
    fake.faults.throttle(retry_after=600)
    throttled = run_cli(env, "sync", cwd=tmp_path)

    assert filled.returncode == 0, filled.stderr
    assert json.loads(filled.stdout.splitlines()[-1])["requests"] == 7
    assert json.loads(throttled.stdout.splitlines()[-1])["reason"] == "throttled"
    counters = SharedCounters(redis_client, redis_prefix)
    cycles = counters.read(SYNC_CYCLES)
    assert (cycles["complete"], cycles["throttled"], sum(cycles.values())) == (1, 1, 2)
    requests = counters.read(UPSTREAM_REQUESTS)
    assert (requests["2xx"], requests["4xx"], sum(requests.values())) == (7, 1, 8)


def test_an_unknown_label_value_is_kept_and_known_ones_read_zero(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    counters = SharedCounters(redis_client, redis_prefix)
    counters.increment(SYNC_CYCLES, "complete", 2)
    counters.increment(SYNC_CYCLES, "something new")
    assert redis_client.hget(counter_key(redis_prefix, SYNC_CYCLES), "complete") == b"2"
    read = counters.read(SYNC_CYCLES)
    assert (read["complete"], read["something new"], read["budget"]) == (2, 1, 0)


def test_an_increment_without_redis_is_dropped_and_a_read_raises() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    counters = SharedCounters(dead, "nowhere")
    counters.increment(UPSTREAM_REQUESTS, "2xx")  # must not raise: counting never stops work
    with pytest.raises(redis.ConnectionError):
        counters.read(UPSTREAM_REQUESTS)


@pytest.mark.parametrize(
    ("status", "label"),
    [(200, "2xx"), (304, "3xx"), (429, "4xx"), (503, "5xx"), (None, "no_answer")],
)
def test_statuses_fall_in_their_class(status: int | None, label: str) -> None:
    assert status_class(status) == label


def test_a_cycle_summary_reason_names_its_outcome() -> None:
    assert [cycle_outcome(r) for r in (None, StopReason.LOCK_LOST, StopReason.BUDGET)] == [
        "complete",
        "lock_lost",
        "budget",
    ]
