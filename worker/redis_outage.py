"""A Redis outage as two lines, one when it starts and one when it ends, not a log per retry.

While Redis is down, Celery's worker logs every reconnection attempt, beat a ~40-line traceback
per scheduled task it cannot queue, and the relay every retry. ``RedisOutageFilter`` drops those
records from a process's log handlers; a ``RedisWatch`` pings Redis and reports the outage once
(``dockwatch: Redis unreachable at …; retrying``) and its end once (``… Redis is back …``).

Under ``dockwatch run`` the supervisor runs the one watch for the whole job and its children only
drop the records (``SUPERVISOR_ENV`` tells them so). A process started on its own (a compose
service) has a watch of its own, woken by the first record it drops.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import redis
from kombu.exceptions import OperationalError as KombuOperationalError

from models.fleet.redis_client import make_redis
from models.support.redact import redact_text, redact_url

log = logging.getLogger(__name__)

# Set by ``dockwatch run`` in its children's environment (its pid): it reports outages itself.
SUPERVISOR_ENV = "DOCKWATCH_SUPERVISOR_PID"
PING_EVERY_SECONDS = 1.0
# kombu wraps the Redis client's errors in its own when the broker connection fails.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    KombuOperationalError,
)
# Celery lines that only ever follow a lost broker connection and carry no exception.
OUTAGE_TEXTS = (
    "worker_cancel_long_running_tasks_on_connection_loss",
    "Skipping prefetch count reduction after connection restart",
)
# The worker's consumer logs "Connected to redis://…" on every reconnection.
RECONNECTED_LOGGER = "celery.worker.consumer.connection"

Report = Callable[[int, str], None]


def unreachable_line(url: str, error: BaseException) -> str:
    """The line that starts an outage: where, why, and that everything retries by itself."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
    reason = redact_text(first, [urlsplit(url).password or ""])
    return (
        f"dockwatch: Redis unreachable at {redact_url(url)} ({reason}); retrying."
        " Start redis-server or check DOCKWATCH_REDIS_URL."
    )


def back_line(url: str, seconds: float) -> str:
    """The line that ends an outage."""
    return f"dockwatch: Redis is back at {redact_url(url)} (unreachable for {seconds:.0f} s)"


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def is_outage_record(record: logging.LogRecord) -> bool:
    """Whether a log record reports a failure to reach Redis (its error's chain says so)."""
    errors: list[BaseException] = []
    if record.exc_info and record.exc_info[1] is not None:
        errors.append(record.exc_info[1])
    args = record.args.values() if isinstance(record.args, dict) else (record.args or ())
    errors += [arg for arg in args if isinstance(arg, BaseException)]
    if any(isinstance(link, OUTAGE_ERRORS) for error in errors for link in _chain(error)):
        return True
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return False
    return any(text in message for text in OUTAGE_TEXTS)


class RedisWatch:
    """Pings Redis and reports when it stops answering and when it answers again, once each.

    ``report(level, line)`` receives the two lines; pings run every ``every`` seconds, in the
    caller's thread (``run``) or in a thread of its own while an outage lasts (``suspect``).
    """

    def __init__(self, url: str, report: Report, *, every: float = PING_EVERY_SECONDS) -> None:
        self.url = url
        self.report = report
        self.every = every
        self.stopped = threading.Event()
        self._client = make_redis(url)
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def down(self) -> bool:
        """Whether the last ping failed."""
        return self._down_since is not None

    def check(self) -> bool:
        """Ping once and report a change; True when Redis answered."""
        now = time.monotonic()
        try:
            self._client.ping()
        except (redis.RedisError, OSError) as error:
            if self._down_since is None:
                self._down_since = now
                self.report(logging.WARNING, unreachable_line(self.url, error))
            return False
        if self._down_since is not None:
            self.report(logging.INFO, back_line(self.url, now - self._down_since))
            self._down_since = None
        return True

    def run(self, stop: threading.Event) -> None:
        """Ping every ``every`` seconds until ``stop`` is set (the supervisor's watch)."""
        while not stop.wait(self.every):
            self.check()

    def suspect(self) -> None:
        """Something failed to reach Redis: ping now, and keep pinging until it answers."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._until_up, name="redis-watch", daemon=True)
            self._thread.start()

    def _until_up(self) -> None:
        while not self.check() and not self.stopped.wait(self.every):
            pass

    def close(self) -> None:
        """Stop pinging and release the connection."""
        self.stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._client.close()


class RedisOutageFilter(logging.Filter):
    """Drops the records of a Redis outage; a ``watch`` (if any) is told of each one.

    The worker's "Connected to redis://…" that ends an outage is dropped too: the watch says it.
    """

    def __init__(self, watch: RedisWatch | None) -> None:
        super().__init__()
        self.watch = watch
        self._lost = False

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record the outage lines stand for."""
        if is_outage_record(record):
            self._lost = True
            if self.watch is not None:
                self.watch.suspect()
            return False
        if self._lost and record.name == RECONNECTED_LOGGER:
            self._lost = False
            return False
        return True


def _log(level: int, line: str) -> None:
    log.log(level, "%s", line)


def quiet_redis_outages(handlers: Iterable[logging.Handler], url: str) -> RedisOutageFilter:
    """Install the outage filter on ``handlers``; with a watch unless a supervisor reports."""
    watch = None if os.environ.get(SUPERVISOR_ENV) else RedisWatch(url, _log)
    outage_filter = RedisOutageFilter(watch)
    for handler in handlers:
        handler.addFilter(outage_filter)
    return outage_filter
