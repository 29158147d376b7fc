"""The page's unit of work: one transaction per page and what must happen around its commit.

Every commit of the sync goes through ``UnitOfWork.page()``. Inside the block the caller applies
a page, collects the changes it made (``PageWork.collect``) and names the events to delete
(``PageWork.delete``). On leaving the block, in this order and in one transaction:

1. the cycle must still hold the single-flight lock (outbox sequence numbers and removals rely
   on one cycle at a time): otherwise everything rolls back and ``LockLost`` is raised;
2. the outbox rows for the collected changes are written (a removal's notification carries the
   event's last state, so this comes before the deletions);
3. the deletions are applied, then the transaction commits;
4. after the commit, the after-commit hook runs (the relay); its failure is logged, never
   raised: the rows stay in the outbox and the relay loop publishes them later.

An error anywhere before the commit rolls back the data, the outbox rows and the checkpoint
together, so a crash at any point loses nothing and resumes at the last committed page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.store.db import session_scope
from models.support.clock import Clock
from worker.sync.changes import Change
from worker.sync.store import delete_events

log = logging.getLogger(__name__)

# Writes outbox rows for changes inside the caller's transaction; returns how many it wrote.
Recorder = Callable[[Session, Sequence[Change], dt.datetime], int]


class LockLost(Exception):
    """The single-flight lock expired under a running cycle; its last page was rolled back."""


@dataclass
class PageWork:
    """What one page's transaction collects: its session, clock reading, changes, deletions."""

    session: Session
    now: dt.datetime
    notify: bool
    changes: list[Change] = field(default_factory=list)
    deletions: list[int] = field(default_factory=list)
    # Filled in when the outbox rows are written.
    notifications: int = 0
    removed: int = 0

    def collect(self, changes: Sequence[Change]) -> None:
        """Changes to notify (when the page notifies) once the page commits."""
        self.changes.extend(changes)

    def delete(self, event_ids: Sequence[int]) -> None:
        """Events to delete after their notifications were written."""
        self.deletions.extend(event_ids)


def _never_lost() -> bool:
    return True


class UnitOfWork:
    """Opens page transactions on ``engine`` and runs the commit protocol described above."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        record: Recorder | None = None,
        after_commit: Callable[[], object] | None = None,
        still_locked: Callable[[], bool] = _never_lost,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.record = record
        self.after_commit = after_commit
        self.still_locked = still_locked

    @contextmanager
    def page(self, *, notify: bool = True) -> Iterator[PageWork]:
        """One page's transaction; raises LockLost (after rolling back) if the lock is gone."""
        with Session(self.engine, expire_on_commit=False) as session:
            work = PageWork(session, self.clock(), notify)
            try:
                yield work
                if not self.still_locked():
                    raise LockLost("the sync lock was lost; another cycle may be running")
                if work.notify and self.record is not None and work.changes:
                    work.notifications = self.record(session, work.changes, work.now)
                if work.deletions:
                    work.removed = delete_events(session, work.deletions, now=work.now)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        self._committed()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only; whatever it did is rolled back."""
        with Session(self.engine) as session:
            yield session

    def bookkeeping(self) -> AbstractContextManager[Session]:
        """A transaction for the cycle's own records (last cycle, last success), no outbox."""
        return session_scope(self.engine)

    def _committed(self) -> None:
        if self.after_commit is None:
            return
        try:
            self.after_commit()
        except Exception as error:  # noqa: BLE001 - the data is committed; the relay retries
            log.warning("after-commit hook failed (notifications stay in the outbox): %s", error)
