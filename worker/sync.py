"""Sync orchestration: the incremental poll, the reconciliation sweep and removal checks.

Every page is one unit of work: its upsert, the outbox rows for its changes, the sweep checkpoint
and any removal candidates commit together, so a crash at any point loses nothing and resumes at
the last committed page. Each upstream request passes the shared budget inside the client; when the
budget (or a 429) stops a phase, what was fetched stays and the cycle reports ``complete: false``.

- Poll: everything docked since the oldest still-open local event (``docking__gte``), which holds
  every new docking and every undocking; with nothing open, the newest events by ``-docking``.
- Sweep: the whole list by ``ordering=id``, checkpointed per page. Each page re-reads the last row
  of the previous one, so rows shifting between pages are noticed; a local id missing from a clean
  stretch of the walk becomes a removal candidate.
- Removal: a candidate is deleted only when its detail request answers 404.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import redis
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from models import sync_state
from models.db import session_scope
from models.tables import DockingEvent, RemovalCandidate
from worker.budget import RequestBudget
from worker.client import UpstreamClient
from worker.errors import BudgetExhausted, PayloadError, UpstreamError, UpstreamThrottled
from worker.store import Change, apply_page, delete_events, removal_changes

log = logging.getLogger(__name__)

PAGE_SIZE = 100
Clock = Callable[[], dt.datetime]
# Writes outbox rows for changes inside the caller's transaction; returns how many it wrote.
Recorder = Callable[[Session, list[Change], dt.datetime], int]


class Mode(StrEnum):
    """What one cycle does."""

    POLL = "poll"  # the incremental poll (or the first fill while the mirror is empty)
    SWEEP_STEP = "sweep"  # one paced step of the sweep, then pending removal checks
    FULL = "full"  # the poll, then the sweep to its end, then removal checks


@dataclass
class CycleSummary:
    """What a cycle did; ``as_json`` is the line ``dockwatch sync`` prints."""

    requests: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    notifications: int = 0
    complete: bool = True
    reason: str | None = None
    resume_at: str | None = None
    error: str | None = None
    sweep: dict[str, Any] = field(default_factory=dict)

    def stop(self, reason: str, resume_at: float | None = None) -> None:
        """Mark the cycle as stopped early for ``reason``."""
        self.complete = False
        self.reason = reason
        if resume_at is not None:
            self.resume_at = dt.datetime.fromtimestamp(resume_at, dt.UTC).isoformat()

    def as_json(self) -> dict[str, Any]:
        """The summary as PRODUCT.md's JSON object (the documented keys first)."""
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None and value != {}}


def isoformat_z(moment: dt.datetime) -> str:
    """An aware datetime as upstream writes it: UTC with ``Z``."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


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
    ) -> None:
        self.engine = engine
        self.client = client
        self.budget = budget
        self.clock = clock
        self.record = record
        self.after_commit = after_commit
        self.notify_backfill = notify_backfill
        # Requests a paced sweep step leaves in the budget, so the next poll can still run.
        self.sweep_reserve = sweep_reserve

    # ----------------------------------------------------------------------------- cycle
    def run_cycle(self, mode: Mode = Mode.POLL) -> CycleSummary:
        """One cycle; upstream faults end it early with ``complete: false`` and keep the data."""
        summary = CycleSummary()
        start = self.client.requests_made
        try:
            if not self._fill_done():
                self._sweep(summary, max_pages=None, reserve=0)
            elif mode is Mode.SWEEP_STEP:
                self._sweep(summary, max_pages=1, reserve=self.sweep_reserve)
                self._verify_candidates(summary)
            else:
                self._poll(summary)
                if mode is Mode.FULL:
                    self._sweep(summary, max_pages=None, reserve=0)
                self._verify_candidates(summary)
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
        self._finish(summary)
        return summary

    def _finish(self, summary: CycleSummary) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            summary.sweep = sync_state.read_state(session, sync_state.SWEEP)
            record = {"finished_at": isoformat_z(now), "summary": summary.as_json()}
            sync_state.write_state(session, sync_state.LAST_CYCLE, record, now)
            if summary.error is None:
                last = {"at": isoformat_z(now), "complete": summary.complete}
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
        now = self.clock()
        with session_scope(self.engine) as session:
            result = apply_page(session, payloads, now=now)
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
            params.update({"docking__gte": isoformat_z(oldest), "ordering": "id"})
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
            self._note_missing_in_window(oldest, seen)

    def _note_missing_in_window(self, oldest: dt.datetime, seen: set[int]) -> None:
        """Local events inside the polled window that upstream did not list: check them."""
        with session_scope(self.engine) as session:
            local = session.exec(
                select(DockingEvent.id).where(col(DockingEvent.docking) >= oldest)
            ).all()
            _add_candidates(session, set(local) - seen, self.clock())

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
        """Fetch and commit the next sweep page; True when the sweep reached its end."""
        with Session(self.engine) as session:
            state = sync_state.read_state(session, sync_state.SWEEP)
        offset = int(state.get("offset", 0))
        last_id: int | None = state.get("last_id")
        # Re-read the previous page's last row: if it is not first, rows shifted in between.
        request_offset = max(offset - 1, 0)
        params = {"ordering": "id", "mode": "detailed", "limit": str(PAGE_SIZE)}
        if request_offset:
            params["offset"] = str(request_offset)
        page = self.client.get_list(params)
        results, next_link = page["results"], page.get("next")
        if next_link and not results:
            raise PayloadError("upstream sent an empty page with a next link")
        ids = [item["id"] for item in results if isinstance(item, dict) and "id" in item]
        whole = page_is_whole(page, request_offset)
        ordered = ids == sorted(set(ids))
        done = not next_link

        def checkpoint(session: Session, seen: list[int], skipped: int) -> None:
            now = self.clock()
            clean = whole and ordered and skipped == 0 and len(ids) == len(results)
            if clean:
                upper = None if done else max(ids, default=last_id)
                _add_candidates(
                    session, _local_ids_between(session, last_id, upper) - set(seen), now
                )
            if done:
                value: dict[str, Any] = {"offset": 0, "last_id": None, "count": page.get("count")}
                value["last_complete"] = isoformat_z(now)
                sync_state.write_state(session, sync_state.FILL, {"done": True}, now)
            else:
                value = {
                    "offset": request_offset + len(results),
                    "last_id": max([*ids, last_id or 0]),
                    "count": page.get("count"),
                    "started_at": state.get("started_at") or isoformat_z(now),
                    "last_complete": state.get("last_complete"),
                }
            sync_state.write_state(session, sync_state.SWEEP, value, now)

        self._commit_page(summary, results, notify=notify, then=checkpoint)
        return done

    # ------------------------------------------------------------------------ removals
    def _verify_candidates(self, summary: CycleSummary) -> None:
        with Session(self.engine) as session:
            candidates = session.exec(
                select(RemovalCandidate.event_id).order_by(col(RemovalCandidate.event_id))
            ).all()
        for event_id in candidates:
            detail = self.client.get_event(event_id)
            forget = delete(RemovalCandidate).where(col(RemovalCandidate.event_id) == event_id)
            if detail is not None:

                def forget_candidate(
                    session: Session, _seen: list[int], _skipped: int, forget: Any = forget
                ) -> None:
                    session.exec(forget)

                self._commit_page(summary, [detail], notify=True, then=forget_candidate)
                continue
            now = self.clock()
            with session_scope(self.engine) as session:
                changes = removal_changes(session, [event_id])
                if self.record is not None:
                    summary.notifications += self.record(session, changes, now)
                summary.removed += delete_events(session, [event_id], now=now)
                session.exec(forget)
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


def _local_ids_between(session: Session, lower: int | None, upper: int | None) -> set[int]:
    query = select(DockingEvent.id)
    if lower is not None:
        query = query.where(col(DockingEvent.id) > lower)
    if upper is not None:
        query = query.where(col(DockingEvent.id) <= upper)
    return set(session.exec(query).all())


def _add_candidates(session: Session, ids: set[int], now: dt.datetime) -> None:
    if not ids:
        return
    known = set(
        session.exec(
            select(RemovalCandidate.event_id).where(col(RemovalCandidate.event_id).in_(ids))
        ).all()
    )
    for event_id in sorted(ids - known):
        session.add(RemovalCandidate(event_id=event_id, noticed_at=now))
    session.flush()
    log.info("removal candidates noted: %s", sorted(ids - known))
