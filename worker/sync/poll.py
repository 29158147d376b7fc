"""The incremental poll: everything docked since the oldest still-open local event.

Upstream has no "changed since" filter, but a docking event changes in practice only while it is
open (its departure is set when the vehicle leaves), so ``docking__gte=<oldest open docking>``
holds every new docking and every undocking: in steady state one request. With nothing open,
the newest events (``ordering=-docking``) are read instead. Local events the polled window
should hold but did not are asked for directly (a few per poll): a corrected docking time moved
the event out of the window, or it is gone upstream (a 404 only notes a removal candidate,
which the sweep settles).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import col, select

from models.ll2.formats import format_instant
from models.store.tables import DockingEvent
from worker.sync import candidates
from worker.sync.page_commit import commit_page
from worker.sync.paging import PAGE_SIZE, page_is_whole
from worker.sync.summary import CycleSummary
from worker.sync.unit_of_work import UnitOfWork
from worker.upstream.client import UpstreamClient

# A poll checks at most this many events that left its window (each costs a detail request).
MAX_WINDOW_CHECKS = 3


class Poll:
    """Runs the incremental poll against one client, committing through one unit of work."""

    def __init__(self, uow: UnitOfWork, client: UpstreamClient) -> None:
        self.uow = uow
        self.client = client

    def run(self, summary: CycleSummary) -> None:
        """Fetch the window page by page and commit each; then check events that left it."""
        with self.uow.read() as session:
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
            result = commit_page(self.uow, summary, page["results"], notify=True)
            seen.update(result.seen_ids)
            next_link = page.get("next") if oldest is not None else None
            clean = clean and result.skipped == 0 and page_is_whole(page, offset)
            offset += PAGE_SIZE
            if not next_link:
                break
            page = self.client.get_url(str(next_link))
        if oldest is not None and clean:
            self._check_left_window(summary, oldest, seen)

    def _check_left_window(
        self, summary: CycleSummary, oldest: dt.datetime, seen: set[int]
    ) -> None:
        """Ask for each local event the window should hold but did not list."""
        with self.uow.read() as session:
            local = session.exec(
                select(DockingEvent.id).where(col(DockingEvent.docking) >= oldest)
            ).all()
            missing = set(local) - seen - candidates.known_candidates(session)
        for event_id in sorted(missing)[:MAX_WINDOW_CHECKS]:
            detail = self.client.get_event(event_id)
            if detail is not None:
                commit_page(self.uow, summary, [detail], notify=True)
                continue
            with self.uow.page(notify=False) as work:
                candidates.note_candidates(work.session, [event_id], work.now)
