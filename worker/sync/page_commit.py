"""Committing one fetched page: upsert its events, forget candidates it lists, count the result.

Shared by the poll, the sweep and the removal checks: each page is one unit of work, optionally
with a ``then`` step (the sweep's checkpoint) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from worker.sync import candidates
from worker.sync.store import ApplyResult, apply_page
from worker.sync.summary import CycleSummary
from worker.sync.unit_of_work import PageWork, UnitOfWork

# Runs inside the page's transaction once the page is applied (e.g. the sweep checkpoint).
Then = Callable[[PageWork, ApplyResult], None]


def commit_page(
    uow: UnitOfWork,
    summary: CycleSummary,
    payloads: Iterable[Any],
    *,
    notify: bool,
    then: Then | None = None,
) -> ApplyResult:
    """Apply ``payloads`` (detailed-mode events) and ``then`` in one unit of work.

    Raises ``LockLost`` (nothing committed) when the cycle lost its lock meanwhile.
    """
    with uow.page(notify=notify) as work:
        result = apply_page(work.session, payloads, now=work.now)
        candidates.forget_seen(work.session, result.seen_ids)
        work.collect(result.changes)
        if then is not None:
            then(work, result)
    summary.created += result.created
    summary.updated += result.updated
    summary.unchanged += result.unchanged
    summary.notifications += work.notifications
    return result
