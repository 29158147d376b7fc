"""First-fill progress: events so far of the upstream count, budget left, next slot.

Shown by ``dockwatch run`` as a progress bar on a terminal and as plain log lines otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TextIO

import redis
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.tables import DockingEvent
from settings import Settings
from worker import sync_state
from worker.budget import RequestBudget

BAR_WIDTH = 30


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
        total = f"{self.upstream_count}" if self.upstream_count is not None else "?"
        text = f"first fill: {self.events}/{total} events, budget {self.budget_left}/"
        text += f"{self.budget_limit} left"
        if self.next_slot_at is not None:
            moment = dt.datetime.fromtimestamp(self.next_slot_at, dt.UTC)
            text += f", resumes at {moment:%H:%M:%S} UTC"
        return "first fill complete" if self.fill_done else text


def read_progress(engine: Engine, redis_client: redis.Redis, settings: Settings) -> Progress:
    """Read the fill state from the database and the budget from Redis."""
    with Session(engine) as session:
        fill = sync_state.read_state(session, sync_state.FILL)
        sweep = sync_state.read_state(session, sync_state.SWEEP)
        events = session.exec(select(func.count()).select_from(DockingEvent)).one()
    usage = RequestBudget(redis_client, settings.key_prefix, settings.rate_limit_per_hour).usage()
    count = sweep.get("count")
    return Progress(
        fill_done=bool(fill.get("done")),
        events=int(events),
        upstream_count=int(count) if count is not None else None,
        budget_left=usage.left,
        budget_limit=usage.limit,
        next_slot_at=usage.next_slot_at,
    )


class FillProgress:
    """Renders snapshots: a redrawn bar on a terminal, a line per change otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last_line: str | None = None

    def show(self, progress: Progress) -> None:
        """Render one snapshot (nothing when nothing changed)."""
        line = progress.line()
        if line == self.last_line:
            return
        self.last_line = line
        if self.stream.isatty():
            self.stream.write(f"\r{self._bar(progress)} {line}\033[K")
            if progress.fill_done:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def _bar(progress: Progress) -> str:
        total = progress.upstream_count or 0
        share = 1.0 if progress.fill_done else (progress.events / total if total else 0.0)
        filled = int(min(share, 1.0) * BAR_WIDTH)
        return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"
