"""Removal checks: an eligible candidate's detail request decides whether the event goes.

An event is removed only when a complete, clean sweep pass did not list it (which made it an
eligible candidate, see ``worker.sync.candidates``) and its detail request answers 404. An
answer instead brings the event's current state in and drops the candidate. Each removal is one
unit of work: lock check, the ``removed`` notification (with the event's last state), the
deletion, the commit: a cycle that lost its lock deletes nothing and notifies nothing.
"""

from __future__ import annotations

from worker.sync import candidates
from worker.sync.changes import removal_changes
from worker.sync.page_commit import commit_page
from worker.sync.summary import CycleSummary
from worker.sync.unit_of_work import UnitOfWork
from worker.upstream.budget import RequestBudget
from worker.upstream.client import UpstreamClient


class RemovalChecks:
    """Detail-checks eligible candidates against one client, one unit of work per event."""

    def __init__(self, uow: UnitOfWork, client: UpstreamClient, budget: RequestBudget) -> None:
        self.uow = uow
        self.client = client
        self.budget = budget

    def run(self, summary: CycleSummary, *, limit: int | None, reserve: int) -> None:
        """Check at most ``limit`` candidates (None: all), leaving ``reserve`` requests."""
        with self.uow.read() as session:
            eligible = candidates.eligible_candidates(session, limit)
        for event_id in eligible:
            if reserve and self.budget.usage().left <= reserve:
                return
            detail = self.client.get_event(event_id)
            if detail is not None:
                commit_page(self.uow, summary, [detail], notify=True)
                continue
            with self.uow.page(notify=True) as work:
                work.collect(removal_changes(work.session, [event_id]))
                work.delete([event_id])
                candidates.forget(work.session, event_id)
            summary.notifications += work.notifications
            summary.removed += work.removed
