"""First-fill progress: events so far of the upstream count, budget left, next slot.

``dockwatch run`` starts a ``ProgressReporter`` thread: it announces the mirror once it answers
``/healthz``, then shows the first fill as a redrawn progress bar below the log on a terminal
(``worker.cli.console``) and as log lines otherwise, until the fill is done; nothing when the
job logs warnings only. It only reads (the database, the budget in Redis), so
a failure to read is skipped and retried at the next tick, never fatal.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

import httpx
import redis
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from models.fleet.redis_client import make_redis
from models.store.db import make_engine
from models.store.sync_state import SweepCheckpoint, fill_done, read_record
from models.store.tables import DockingEvent
from settings import Settings
from worker.bootstrap import request_budget
from worker.cli.console import Console

log = logging.getLogger(__name__)

BAR_WIDTH = 30
PROGRESS_EVERY_SECONDS = 2.0


@dataclass(frozen=True)
class Progress:
    """A snapshot of the first fill."""

    fill_done: bool
    events: int
    upstream_count: int | None
    budget_left: int
    budget_limit: int
    next_slot_at: float | None

    def line(self) -> str:
        """One human line describing the snapshot."""
        if self.fill_done:
            return f"first fill complete: {self.events} events"
        total = f"{self.upstream_count}" if self.upstream_count is not None else "?"
        text = f"first fill: {self.events}/{total} events, budget {self.budget_left}/"
        text += f"{self.budget_limit} left"
        if self.next_slot_at is not None:
            moment = dt.datetime.fromtimestamp(self.next_slot_at, dt.UTC)
            text += f", resumes at {moment:%H:%M:%S} UTC"
        return text


def read_progress(engine: Engine, redis_client: redis.Redis, settings: Settings) -> Progress:
    """Read the fill state from the database and the budget from Redis."""
    with Session(engine) as session:
        done = fill_done(session)
        count = read_record(session, SweepCheckpoint).count
        events = session.exec(select(func.count()).select_from(DockingEvent)).one()
    usage = request_budget(settings, redis_client).usage()
    return Progress(
        fill_done=done,
        events=int(events),
        upstream_count=count,
        budget_left=usage.left,
        budget_limit=usage.limit,
        next_slot_at=usage.next_slot_at,
    )


class FillProgress:
    """Renders snapshots: a redrawn bar on a terminal, a log line per change otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.last_line: str | None = None

    def show(self, progress: Progress) -> None:
        """Render one snapshot (nothing when nothing changed, or below the log's level)."""
        line = progress.line()
        if line == self.last_line or not log.isEnabledFor(logging.INFO):
            return
        self.last_line = line
        if self.console.tty:
            self.console.status(f"{self._bar(progress)} {line}", final=progress.fill_done)
        else:
            log.info("%s", line)

    @staticmethod
    def _bar(progress: Progress) -> str:
        total = progress.upstream_count or 0
        share = 1.0 if progress.fill_done else (progress.events / total if total else 0.0)
        filled = int(min(share, 1.0) * BAR_WIDTH)
        return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


def ready_message(base_url: str, settings: Settings) -> str:
    """What a newcomer can do once the mirror answers."""
    return (
        f"dockwatch is running: mirror {base_url}/2.2.0/docking_event/ , status {base_url}/status"
        f" ; notifications on stream {settings.stream} (try `dockwatch subscribe`) ;"
        " Ctrl-C stops everything"
    )


class ProgressReporter(threading.Thread):
    """Announces the mirror, then reports the first fill until it is done or ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        mirror_url: str,
        stop: threading.Event,
        console: Console,
        *,
        already_filled: bool = False,
        every: float = PROGRESS_EVERY_SECONDS,
    ) -> None:
        super().__init__(name="fill-progress", daemon=True)
        # Read before the worker starts: a fill can finish before the first snapshot.
        self.already_filled = already_filled
        self.settings = settings
        self.mirror_url = mirror_url
        self.stop = stop
        self.console = console
        self.every = every

    def run(self) -> None:
        """Wait for the mirror, then show progress snapshots."""
        if not self._wait_for_mirror():
            return
        log.info("%s", ready_message(self.mirror_url, self.settings))
        if self.already_filled:
            return  # filled by an earlier run: nothing to report
        engine = make_engine(self.settings.database_url)
        client = make_redis(self.settings.redis_url)
        renderer = FillProgress(self.console)
        try:
            while True:
                progress = self._read(engine, client)
                if progress is not None:
                    renderer.show(progress)
                    if progress.fill_done:
                        return
                if self.stop.wait(self.every):
                    return
        finally:
            engine.dispose()
            client.close()

    def _wait_for_mirror(self) -> bool:
        with httpx.Client(timeout=2.0) as http:
            while not self.stop.is_set():
                try:
                    if http.get(f"{self.mirror_url}/healthz").status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                self.stop.wait(0.25)
        return False

    def _read(self, engine: Engine, client: redis.Redis) -> Progress | None:
        try:
            return read_progress(engine, client, self.settings)
        except (SQLAlchemyError, redis.RedisError, OSError) as error:
            log.debug("progress unavailable: %s", error)
            return None


def fill_already_done(engine: Engine) -> bool:
    """Whether an earlier run completed the first fill."""
    with Session(engine) as session:
        return fill_done(session)
