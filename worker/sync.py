"""Sync orchestration: the incremental poll, the reconciliation sweep and removal checks.

Every page is one unit of work: its upsert, the outbox rows for its changes, the sweep checkpoint
and any removal candidates commit together, so a crash at any point loses nothing and resumes at
the last committed page. Each upstream request passes the shared budget inside the client; when the
budget (or a 429) stops a phase, what was fetched stays and the cycle reports ``complete: false``.

- Poll: everything docked since the oldest still-open local event (``docking__gte``), which holds
  every new docking and every undocking; with nothing open, the newest events by ``-docking``.
- Sweep: the whole list by ``ordering=id``, checkpointed per page. Each page re-reads the last row
  of the previous one; when rows vanished before it the walk steps back instead of skipping. A
  local id missing from a whole, in-order stretch becomes a removal candidate.
- Removal (``worker.removals``): only after a complete, clean pass missed the event and its
  detail request answered 404.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api_mirror.serialize import format_instant
from models import sync_state
from models.db import session_scope
from models.tables import DockingEvent
from worker import removals
from worker.budget import RequestBudget
from worker.client import UpstreamClient
from worker.cycle import CycleSummary, Mode
from worker.errors import BudgetExhausted, PayloadError, UpstreamError, UpstreamThrottled
from worker.store import Change, apply_page, delete_events, removal_changes

log = logging.getLogger(__name__)

PAGE_SIZE = 100
# A poll checks at most this many events that left its window (each costs a detail request).
MAX_WINDOW_CHECKS = 3
# A paced sweep step checks at most this many eligible removal candidates.
MAX_CHECKS_PER_STEP = 2
# How often one sweep pass may step back after rows shifted under it before giving up on
# proving absences in that pass (a broken ordering upstream must not loop forever).
MAX_REWINDS_PER_PASS = 5


class LockLost(Exception):
    """The single-flight lock expired under a running cycle."""


Clock = Callable[[], dt.datetime]
# Writes outbox rows for changes inside the caller's transaction; returns how many it wrote.
Recorder = Callable[[Session, list[Change], dt.datetime], int]


class SyncEngine:
    """Runs cycles against one upstream client and one database."""

    def __init__(
        self,
        engine: Engine,
        client: UpstreamClient,
        budget: RequestBudget,
        *,
        clock: Clock,
        record: Recorder | None = None,
        after_commit: Callable[[], object] | None = None,
        notify_backfill: bool = False,
        sweep_reserve: int = 1,
        still_locked: Callable[[], bool] = lambda: True,
    ) -> None:
        self.engine = engine
        self.client = client
        self.budget = budget
        self.clock = clock
        self.record = record
        self.after_commit = after_commit
        self.notify_backfill = notify_backfill
        # Requests the removal checks of a sweep step leave, so the next poll can still run.
        self.sweep_reserve = sweep_reserve
        # Checked before every commit: a cycle that lost the single-flight lock must stop.
        self.still_locked = still_locked

    # ----------------------------------------------------------------------------- cycle
    def run_cycle(self, mode: Mode = Mode.POLL) -> CycleSummary:
        """One cycle; upstream faults end it early with ``complete: false`` and keep the data."""
        summary = CycleSummary()
        start = self.client.requests_made
        fresh = False  # whether this cycle brought the mirror up to date with upstream
        try:
            if not self._fill_done():
                self._sweep(summary, max_pages=None, reserve=0)
                fresh = self._fill_done()
            elif mode is Mode.SWEEP_STEP:
                # The step's own page is planned in the cadence; only the extra detail checks
                # must leave a request for the next poll.
                self._sweep(summary, max_pages=1, reserve=0)
                self._verify_candidates(
                    summary, limit=MAX_CHECKS_PER_STEP, reserve=self.sweep_reserve
                )
            else:
                self._poll(summary)
                fresh = True
                if mode is Mode.FULL:
                    self._sweep(summary, max_pages=None, reserve=0)
                    self._verify_candidates(summary, limit=None, reserve=0)
        except LockLost as error:
            summary.stop("lock lost")
            summary.error = str(error)
        except BudgetExhausted as error:
            summary.stop("budget", error.resume_at)
        except UpstreamThrottled as error:
            summary.stop("throttled", error.not_before)
        except UpstreamError as error:
            summary.stop("upstream")
            summary.error = str(error)
        except redis.RedisError as error:
            # No budget check is possible without Redis, so no request may be sent: stop here,
            # keeping every page already committed.
            summary.stop("redis")
            summary.error = f"Redis unavailable: {error}"
        summary.requests = self.client.requests_made - start
        self._finish(summary, fresh)
        return summary

    def _finish(self, summary: CycleSummary, fresh: bool) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            summary.sweep = sync_state.read_state(session, sync_state.SWEEP)
            record = {"finished_at": format_instant(now), "summary": summary.as_json()}
            sync_state.write_state(session, sync_state.LAST_CYCLE, record, now)
            if fresh:
                last = {"at": format_instant(now), "complete": summary.complete}
                sync_state.write_state(session, sync_state.LAST_SUCCESS, last, now)
        log.info(
            "sync cycle: requests=%d created=%d updated=%d unchanged=%d removed=%d "
            "notifications=%d complete=%s reason=%s",
            summary.requests,
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.removed,
            summary.notifications,
            summary.complete,
            summary.reason,
        )

    # ------------------------------------------------------------------------ unit of work
    def _fill_done(self) -> bool:
        with Session(self.engine) as session:
            return bool(sync_state.read_state(session, sync_state.FILL).get("done"))

    def _commit_page(
        self,
        summary: CycleSummary,
        payloads: Iterable[Any],
        *,
        notify: bool,
        then: Callable[[Session, list[int], int], None] | None = None,
    ) -> tuple[list[int], int]:
        """Apply a page, its outbox rows and ``then`` (checkpoint…) in one transaction."""
        if not self.still_locked():
            raise LockLost("the sync lock was lost; another cycle may be running")
        now = self.clock()
        with session_scope(self.engine) as session:
            result = apply_page(session, payloads, now=now)
            removals.forget_seen(session, result.seen_ids)
            if notify and self.record is not None:
                summary.notifications += self.record(session, result.changes, now)
            if then is not None:
                then(session, result.seen_ids, result.skipped)
        summary.created += result.created
        summary.updated += result.updated
        summary.unchanged += result.unchanged
        self._committed()
        return result.seen_ids, result.skipped

    def _committed(self) -> None:
        if self.after_commit is None:
            return
        try:
            self.after_commit()
        except Exception as error:  # noqa: BLE001 - the data is committed; the relay retries
            log.warning("after-commit hook failed (notifications stay in the outbox): %s", error)

    def _notify_sweep(self) -> bool:
        return self._fill_done() or self.notify_backfill

    # ---------------------------------------------------------------------------- poll
    def _poll(self, summary: CycleSummary) -> None:
        with Session(self.engine) as session:
            oldest = session.exec(
                select(func.min(DockingEvent.docking)).where(col(DockingEvent.departure).is_(None))
            ).one()
        params = {"mode": "detailed", "limit": str(PAGE_SIZE)}
        if oldest is None:
            params["ordering"] = "-docking"
        else:
            params.update({"docking__gte": format_instant(oldest), "ordering": "id"})
        page = self.client.get_list(params)
        seen: set[int] = set()
        clean, offset = True, 0
        while True:
            results = page["results"]
            ids, skipped = self._commit_page(summary, results, notify=True)
            seen.update(ids)
            next_link = page.get("next") if oldest is not None else None
            clean = clean and skipped == 0 and page_is_whole(page, offset)
            offset += PAGE_SIZE
            if not next_link:
                break
            page = self.client.get_url(str(next_link))
        if oldest is not None and clean:
            self._check_left_window(summary, oldest, seen)

    def _check_left_window(
        self, summary: CycleSummary, oldest: dt.datetime, seen: set[int]
    ) -> None:
        """Local events the polled window should hold but did not: ask for each directly.

        A corrected docking time moves an event out of the window (the detail brings the
        correction in now); a 404 only notes a candidate, which the sweep settles.
        """
        with Session(self.engine) as session:
            local = session.exec(
                select(DockingEvent.id).where(col(DockingEvent.docking) >= oldest)
            ).all()
            missing = set(local) - seen - removals.known_candidates(session)
        for event_id in sorted(missing)[:MAX_WINDOW_CHECKS]:
            detail = self.client.get_event(event_id)
            if detail is not None:
                self._commit_page(summary, [detail], notify=True)
                continue
            with session_scope(self.engine) as session:
                removals.note_candidates(session, [event_id], self.clock())

    # --------------------------------------------------------------------------- sweep
    def _sweep(self, summary: CycleSummary, *, max_pages: int | None, reserve: int) -> None:
        pages = 0
        notify = self._notify_sweep()
        while max_pages is None or pages < max_pages:
            if reserve and self.budget.usage().left <= reserve:
                summary.stop("paced")
                return
            if self._sweep_page(summary, notify=notify):
                return
            pages += 1

    def _sweep_page(self, summary: CycleSummary, *, notify: bool) -> bool:
        """Fetch and commit the next sweep page; True when the pass reached its end."""
        with Session(self.engine) as session:
            state = sync_state.read_state(session, sync_state.SWEEP)
        offset = int(state.get("offset", 0))
        last_id: int | None = state.get("last_id")
        # Re-read the previous page's last row: if a later row comes first instead, rows
        # before it vanished and the walk would skip some, so it steps back a page.
        request_offset = max(offset - 1, 0)
        params = {"ordering": "id", "mode": "detailed", "limit": str(PAGE_SIZE)}
        if request_offset:
            params["offset"] = str(request_offset)
        page = self.client.get_list(params)
        results, next_link = page["results"], page.get("next")
        if next_link and not results:
            raise PayloadError("upstream sent an empty page with a next link")
        ids = [item["id"] for item in results if isinstance(item, dict) and "id" in item]
        shifted = last_id is not None and bool(ids) and ids[0] > last_id
        rewinds = int(state.get("rewinds", 0))
        rewind = shifted and rewinds < MAX_REWINDS_PER_PASS
        whole = page_is_whole(page, request_offset) and ids == sorted(set(ids))
        done = not next_link and not rewind

        def checkpoint(session: Session, seen: list[int], skipped: int) -> None:
            now = self.clock()
            proves_absence = whole and not shifted and skipped == 0 and len(ids) == len(results)
            pass_clean = bool(state.get("clean", True)) and proves_absence
            if proves_absence:
                upper = None if done else max(ids, default=last_id)
                absent = removals.local_ids_between(session, last_id, upper) - set(seen)
                removals.note_candidates(session, absent, now)
            if done:
                self._end_pass(session, page.get("count"), pass_clean, now)
                return
            value: dict[str, Any] = {
                "offset": request_offset + len(results),
                "last_id": max([*ids, last_id or 0]),
                "count": page.get("count"),
                "started_at": state.get("started_at") or format_instant(now),
                "last_complete": state.get("last_complete"),
                "clean": pass_clean,
                "rewinds": rewinds,
            }
            if rewind:
                value.update(
                    offset=max(request_offset - PAGE_SIZE + 1, 0),
                    last_id=last_id,
                    rewinds=rewinds + 1,
                    clean=bool(state.get("clean", True)),
                )
            sync_state.write_state(session, sync_state.SWEEP, value, now)

        self._commit_page(summary, results, notify=notify, then=checkpoint)
        return done

    def _end_pass(self, session: Session, count: Any, clean: bool, now: dt.datetime) -> None:
        """Close a sweep pass: the fill is done, and a clean pass makes candidates eligible."""
        if clean:
            removals.promote_after_clean_pass(session)
        value = {"offset": 0, "last_id": None, "count": count, "last_complete": format_instant(now)}
        sync_state.write_state(session, sync_state.SWEEP, value, now)
        sync_state.write_state(session, sync_state.FILL, {"done": True}, now)

    # ------------------------------------------------------------------------ removals
    def _verify_candidates(self, summary: CycleSummary, *, limit: int | None, reserve: int) -> None:
        """Detail-check eligible candidates: 404 removes the event, an answer keeps it."""
        with Session(self.engine) as session:
            candidates = removals.eligible_candidates(session, limit)
        for event_id in candidates:
            if reserve and self.budget.usage().left <= reserve:
                return
            detail = self.client.get_event(event_id)
            if detail is not None:
                self._commit_page(summary, [detail], notify=True)
                continue
            now = self.clock()
            with session_scope(self.engine) as session:
                changes = removal_changes(session, [event_id])
                if self.record is not None:
                    summary.notifications += self.record(session, changes, now)
                summary.removed += delete_events(session, [event_id], now=now)
                removals.forget(session, event_id)
            self._committed()


def page_is_whole(page: dict[str, Any], offset: int) -> bool:
    """Whether a page holds as many rows as its ``count`` promises at this offset.

    Only a whole page can prove an event missing; a short or truncated one proves nothing.
    """
    count = page.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        return False
    expected = max(0, min(PAGE_SIZE, count - offset))
    return len(page["results"]) == expected
