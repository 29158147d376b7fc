"""``worker.redis_outage``: which log records are a Redis outage; the watch's two lines."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import httpx
import pytest
import redis
from kombu.exceptions import OperationalError

from tests.run_helpers import wait_until
from tests.worker.notifications import free_port, own_redis
from worker.notify.relay import RelayUnavailable
from worker.redis_outage import (
    RedisOutageFilter,
    RedisWatch,
    back_line,
    is_outage_record,
    unreachable_line,
)

REFUSED = "Error 111 connecting to 127.0.0.1:1. Connection refused."


def record(
    message: str = "x", *args: object, exc: BaseException | None = None, name: str = "t"
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, exc_info)


def chained(outer: BaseException, inner: BaseException) -> BaseException:
    """``outer`` as if raised ``from inner``."""
    outer.__cause__ = inner
    return outer


def test_records_caused_by_an_unreachable_redis_are_outage_records() -> None:
    # beat: "Message Error" with kombu's error (from the client's) attached
    beat = chained(RuntimeError("Couldn't apply scheduled task poll"), OperationalError(REFUSED))
    assert is_outage_record(record("Message Error: %s", "poll", exc=beat))
    # the worker's consumer: the error among the arguments
    assert is_outage_record(record("consumer: Cannot connect to %s: %s.", "redis://", beat))
    # the relay: its own error, raised from the client's
    relay = chained(RelayUnavailable("cannot publish"), redis.ConnectionError(REFUSED))
    assert is_outage_record(record("relay failed, retrying in %.1f s: %s", 0.5, relay))
    # Celery's warning on a lost connection carries no exception, only its text
    warning = "CPendingDeprecationWarning: … worker_cancel_long_running_tasks_on_connection_loss"
    assert is_outage_record(record("%s", warning, name="py.warnings"))


def test_other_failures_are_not_outage_records() -> None:
    upstream = chained(httpx.ConnectError("refused"), ConnectionRefusedError(111, "refused"))
    assert not is_outage_record(record("sync failed: %s", upstream))
    assert not is_outage_record(record("relay failed: %s", RuntimeError("database is locked")))
    assert not is_outage_record(record("Scheduler: Sending due task poll (dockwatch.sync_poll)"))


@pytest.fixture
def lines() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def redis_port() -> int:
    return free_port()


@pytest.fixture
def watch(redis_port: int, lines: list[tuple[int, str]]) -> Iterator[RedisWatch]:
    watcher = RedisWatch(
        f"redis://127.0.0.1:{redis_port}/0",
        lambda level, line: lines.append((level, line)),
        every=0.05,
    )
    yield watcher
    watcher.close()


def test_a_watch_says_once_that_redis_is_down_and_once_that_it_is_back(
    watch: RedisWatch, lines: list[tuple[int, str]], redis_port: int
) -> None:
    with own_redis(redis_port):
        assert watch.check() is True
    assert [watch.check() for _ in range(3)] == [False, False, False]
    with own_redis(redis_port):
        assert watch.check() is True
        assert watch.check() is True

    assert [level for level, _line in lines] == [logging.WARNING, logging.INFO]
    assert lines[0][1] == (
        f"dockwatch: Redis unreachable at redis://127.0.0.1:{redis_port}/0 (Error 111"
        f" connecting to 127.0.0.1:{redis_port}. Connection refused); retrying. Start"
        " redis-server or check DOCKWATCH_REDIS_URL."
    )
    assert lines[1][1].startswith(f"dockwatch: Redis is back at redis://127.0.0.1:{redis_port}/0")


def test_a_process_on_its_own_drops_the_outage_records_and_its_watch_says_it_once(
    watch: RedisWatch, lines: list[tuple[int, str]]
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    kept: list[logging.LogRecord] = []
    handler.emit = kept.append  # type: ignore[method-assign]
    handler.addFilter(RedisOutageFilter(watch))
    lost = redis.ConnectionError(REFUSED)

    for attempt in range(5):
        handler.handle(record("consumer: Cannot connect to %s: %s", attempt, lost))
    wait_until(lambda: watch.down, "the watch to find Redis down")
    handler.handle(record("Connected to %s", "redis://", name="celery.worker.consumer.connection"))
    handler.handle(record("sync cycle: requests=1"))

    assert [r.getMessage() for r in kept] == ["sync cycle: requests=1"]
    assert len(lines) == 1
    assert "Redis unreachable" in lines[0][1]


def test_under_a_supervisor_a_child_only_drops_the_records() -> None:
    outage_filter = RedisOutageFilter(None)
    lost = OperationalError(REFUSED)

    assert outage_filter.filter(record("consumer: Connection to broker lost (%r)", lost)) is False
    assert outage_filter.filter(record("Task received", name="celery.worker.strategy")) is True


def test_the_outage_lines_never_show_the_password() -> None:
    url = "redis://:s3cret@127.0.0.1:6390/0"
    down = unreachable_line(url, redis.AuthenticationError("invalid password s3cret"))

    assert "s3cret" not in down + back_line(url, 3)
    assert "redis://:***@127.0.0.1:6390/0" in down
