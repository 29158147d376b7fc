"""The reconciliation sweep: the whole upstream list by ``ordering=id``, a page at a time.

Each page commits with its checkpoint (``SweepCheckpoint``) in one unit of work, so a killed
sweep resumes at the page that was in flight. Each page re-reads the last row of the previous
one: when a later row comes first instead, rows before it vanished upstream and the walk would
skip some, so it steps back a page (a few times per pass at most: a broken ordering upstream must
not loop forever). A local id missing from a whole, in-order stretch becomes a removal
candidate; a pass that ends clean makes the candidates eligible for their detail check. The
first complete pass of an empty mirror is the first fill.

``run`` continues the stored pass (the beat's paced steps, the first fill); ``run_full`` (what
``dockwatch sync --full`` asks for) walks a pass of its own from the list's start, keeping its
position in memory: stopped early, it leaves the stored pass as it was, so the beat's next step
resumes where that pass stood; reaching the end, it counts as a finished pass (the stored pass
starts over, candidates become eligible when it was clean, the first fill is done).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from models.ll2.schema import valid_event_id
from models.store.sync_state import FillState, SweepCheckpoint, fill_done, read_record, write_record
from models.support.stop_reason import StopReason
from worker.sync import candidates
from worker.sync.page_commit import commit_page
from worker.sync.paging import PAGE_SIZE, page_is_whole
from worker.sync.store import ApplyResult
from worker.sync.summary import CycleSummary
from worker.sync.unit_of_work import PageWork, UnitOfWork
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient
from worker.upstream.errors import PayloadError

# How often one pass may step back after rows shifted under it before giving up on proving
# absences in that pass.
MAX_REWINDS_PER_PASS = 5


def _event_ids(results: list[Any]) -> list[int]:
    """The valid 2.2.0 ids of a page's events, in page order.

    An event without one is left out, so a page holding it is never whole (its length differs)
    and proves no absence; the store skips it too.
    """
    ids = (valid_event_id(item) for item in results)
    return [ident for ident in ids if ident is not None]


def _count(page: dict[str, Any]) -> int | None:
    count = page.get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


class Sweep:
    """Walks upstream's list against one client, committing through one unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        client: UpstreamClient,
        budget: RequestBudget,
        *,
        notify_backfill: bool = False,
    ) -> None:
        self.uow = uow
        self.client = client
        self.budget = budget
        self.notify_backfill = notify_backfill

    def run(self, summary: CycleSummary, *, max_pages: int | None, reserve: int) -> None:
        """Walk up to ``max_pages`` pages (None: to the end), leaving ``reserve`` requests."""
        with self.uow.read() as session:
            # The first fill of an empty mirror is silent unless backfill is asked for.
            notify = fill_done(session) or self.notify_backfill
        pages = 0
        while max_pages is None or pages < max_pages:
            if reserve and self.budget.usage().left <= reserve:
                summary.stop(StopReason.PACED)
                return
            with self.uow.read() as session:
                state = read_record(session, SweepCheckpoint)
            if self._page(summary, state, notify=notify, stored=True) is None:
                return
            pages += 1

    def run_full(self, summary: CycleSummary) -> None:
        """Walk the whole list from its start in this call, whatever the stored pass's position.

        The walk's position stays in memory and the stored checkpoint is left alone until the
        last page, which ends a pass as ``run`` would. Upstream faults and the budget raise as
        in ``run``, leaving every committed page and the stored pass as they were.
        """
        with self.uow.read() as session:
            notify = fill_done(session) or self.notify_backfill
        state: SweepCheckpoint | None = SweepCheckpoint()
        while state is not None:
            state = self._page(summary, state, notify=notify, stored=False)

    def _page(
        self, summary: CycleSummary, state: SweepCheckpoint, *, notify: bool, stored: bool
    ) -> SweepCheckpoint | None:
        """Fetch and commit the page at ``state``; the position after it, None when the pass
        ended. With ``stored`` the position is written with the page (the stored pass)."""
        following_state: list[SweepCheckpoint] = []
        last_id = state.last_id
        request_offset = max(state.offset - 1, 0)
        params = {"ordering": "id", "mode": "detailed", "limit": str(PAGE_SIZE)}
        if request_offset:
            params["offset"] = str(request_offset)
        page = self.client.get_list(params)
        results, next_link = page["results"], page.get("next")
        if next_link and not results:
            raise PayloadError("upstream sent an empty page with a next link")
        ids = _event_ids(results)
        shifted = last_id is not None and bool(ids) and ids[0] > last_id
        rewind = shifted and state.rewinds < MAX_REWINDS_PER_PASS
        whole = page_is_whole(page, request_offset) and ids == sorted(set(ids))
        done = not next_link and not rewind

        def checkpoint(work: PageWork, result: ApplyResult) -> None:
            proves_absence = whole and not shifted and result.skipped == 0
            proves_absence = proves_absence and len(ids) == len(results)
            pass_clean = state.clean and proves_absence
            if proves_absence:
                upper = None if done else max(ids, default=last_id)
                absent = candidates.local_ids_between(work.session, last_id, upper)
                candidates.note_candidates(work.session, absent - set(result.seen_ids), work.now)
            if done:
                self._end_pass(work.session, _count(page), pass_clean, work.now)
                return
            following = SweepCheckpoint(
                offset=request_offset + len(results),
                last_id=max([*ids, last_id or 0]),
                count=_count(page),
                started_at=state.started_at or work.now,
                last_complete=state.last_complete,
                clean=pass_clean,
                rewinds=state.rewinds,
            )
            if rewind:
                following = following.model_copy(
                    update={
                        "offset": max(request_offset - PAGE_SIZE + 1, 0),
                        "last_id": last_id,
                        "rewinds": state.rewinds + 1,
                        "clean": state.clean,
                    }
                )
            following_state.append(following)
            if stored:
                write_record(work.session, following, work.now)

        commit_page(self.uow, summary, results, notify=notify, then=checkpoint)
        return None if done else following_state[0]

    @staticmethod
    def _end_pass(session: Session, count: int | None, clean: bool, now: dt.datetime) -> None:
        """Close a pass: the fill is done, and a clean pass makes candidates eligible."""
        if clean:
            candidates.promote_after_clean_pass(session)
        write_record(session, SweepCheckpoint(count=count, last_complete=now), now)
        write_record(session, FillState(done=True), now)
