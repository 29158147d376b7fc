"""One sync cycle: the first fill, the incremental poll, a paced sweep step or a full sweep.

What a cycle does depends on its ``Mode`` and on whether the first fill is done:

- not filled yet: the sweep walks the whole list (the first fill), whatever the mode;
- ``POLL``: the incremental poll;
- ``SWEEP_STEP``: one planned sweep page, then a few removal checks that leave a request for
  the next poll;
- ``FULL``: the poll (once filled), a walk of the whole list from its start (not the stored
  pass's position, see ``Sweep.run_full``), then every pending removal check; ``complete``
  then means the whole list was seen in this cycle.

Upstream faults, the budget (``budget``), upstream's 429 (``throttled``), the unreachable
back-off (``backoff``) and a lost lock end the cycle early with ``complete: false``: every page
committed so far stays. Each cycle records its summary, and a cycle that brought the mirror
up to date (a completed poll or fill) records the moment as the last success.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis

from models.fleet.counters import SYNC_CYCLES, SharedCounters, cycle_outcome
from models.store.sync_state import (
    LastCycle,
    LastSuccess,
    SweepCheckpoint,
    fill_done,
    read_record,
    write_record,
)
from models.support.stop_reason import StopReason
from worker.sync.poll import Poll
from worker.sync.removals import RemovalChecks
from worker.sync.summary import CycleSummary, Mode
from worker.sync.sweep import Sweep
from worker.sync.unit_of_work import LockLost, UnitOfWork
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient
from worker.upstream.errors import (
    BudgetExhausted,
    UpstreamBackoff,
    UpstreamError,
    UpstreamThrottled,
    UpstreamUnreachable,
)

log = logging.getLogger(__name__)

# A paced sweep step checks at most this many eligible removal candidates.
MAX_CHECKS_PER_STEP = 2
# What stopped a cycle, in words, for the reasons whose summary carries no error text.
STOPPED_BY: dict[StopReason | None, str] = {
    StopReason.BUDGET: "the request budget is spent",
    StopReason.THROTTLED: "upstream asked to wait (429 or 503 Retry-After)",
}


class SyncCycle:
    """Runs cycles against one upstream client, committing through one unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        client: UpstreamClient,
        budget: RequestBudget,
        *,
        notify_backfill: bool = False,
        sweep_reserve: int = 1,
        counters: SharedCounters | None = None,
    ) -> None:
        self.uow = uow
        self.counters = counters  # fleet-wide cycles by outcome, when given
        self.client = client
        self.poll = Poll(uow, client)
        self.sweep = Sweep(uow, client, budget, notify_backfill=notify_backfill)
        self.removals = RemovalChecks(uow, client, budget)
        # Requests the removal checks of a sweep step leave, so the next poll can still run.
        self.sweep_reserve = sweep_reserve

    def run(self, mode: Mode = Mode.POLL) -> CycleSummary:
        """One cycle; upstream faults end it early with ``complete: false`` and keep the data."""
        summary = CycleSummary()
        start = self.client.requests_made
        fresh = False  # whether this cycle brought the mirror up to date with upstream
        try:
            fresh = self._work(mode, summary)
        except LockLost as error:
            summary.stop(StopReason.LOCK_LOST)
            summary.error = str(error)
        except BudgetExhausted as error:
            summary.stop(
                StopReason.THROTTLED if error.throttled else StopReason.BUDGET, error.resume_at
            )
        except UpstreamBackoff as error:
            summary.stop(StopReason.BACKOFF, error.until)
            summary.error = str(error)
        except UpstreamThrottled as error:
            summary.stop(StopReason.THROTTLED, error.not_before)
        except UpstreamUnreachable as error:
            summary.stop(StopReason.UPSTREAM, error.retry_at)
            summary.error = str(error)
        except UpstreamError as error:
            summary.stop(StopReason.UPSTREAM)
            summary.error = str(error)
        except redis.RedisError as error:
            # No budget check is possible without Redis, so no request may be sent: stop here,
            # keeping every page already committed.
            summary.stop(StopReason.REDIS)
            summary.error = f"Redis unavailable: {error}"
        summary.requests = self.client.requests_made - start
        self._finish(summary, fresh, mode)
        if self.counters is not None:
            self.counters.increment(SYNC_CYCLES, cycle_outcome(summary.reason))
        return summary

    def _filled(self) -> bool:
        with self.uow.read() as session:
            return fill_done(session)

    def _work(self, mode: Mode, summary: CycleSummary) -> bool:
        """Do the mode's work; True when it brought the mirror up to date with upstream."""
        if mode is Mode.FULL:
            if self._filled():
                self.poll.run(summary)
            self.sweep.run_full(summary)
            self.removals.run(summary, limit=None, reserve=0)
            return self._filled()
        if not self._filled():
            self.sweep.run(summary, max_pages=None, reserve=0)
            return self._filled()
        if mode is Mode.SWEEP_STEP:
            # The step's own page is planned in the cadence; only the extra detail checks
            # must leave a request for the next poll.
            self.sweep.run(summary, max_pages=1, reserve=0)
            self.removals.run(summary, limit=MAX_CHECKS_PER_STEP, reserve=self.sweep_reserve)
            return False
        self.poll.run(summary)
        return True

    def _finish(self, summary: CycleSummary, fresh: bool, mode: Mode) -> None:
        with self.uow.bookkeeping() as session:
            now = self.uow.clock()
            summary.sweep = read_record(session, SweepCheckpoint).model_dump(mode="json")
            write_record(session, LastCycle(finished_at=now, summary=summary.as_json()), now)
            if fresh:
                write_record(session, LastSuccess(at=now, complete=summary.complete), now)
        log_outcome(summary, mode)


def log_outcome(summary: CycleSummary, mode: Mode) -> None:
    """The cycle's one log line: INFO with its counts when complete; a WARNING naming what
    stopped it and when the next try is otherwise (the counts say what it kept)."""
    counts = (
        f"requests={summary.requests} created={summary.created} updated={summary.updated}"
        f" unchanged={summary.unchanged} removed={summary.removed}"
        f" notifications={summary.notifications}"
    )
    if summary.complete:
        log.info("sync %s complete: %s", mode.value, counts)
        return
    why = (summary.error or STOPPED_BY.get(summary.reason, str(summary.reason))).rstrip(".")
    log.warning(
        "sync %s stopped early (%s): %s; next try %s; %s",
        mode.value,
        summary.reason,
        why,
        next_try(summary.resume_at),
        counts,
    )


def next_try(resume_at: str | None) -> str:
    """When the next request may go, in words: ``at 08:23:35 UTC`` or ``at the next poll``."""
    if resume_at is None:
        return "at the next poll"
    moment = dt.datetime.fromisoformat(resume_at.replace("Z", "+00:00"))
    return f"at {moment:%H:%M:%S} UTC"
