"""Removal candidates: noting events upstream did not list, and deciding when one may go.

The removal rule: an event is removed only when a complete sweep did not contain it and a
direct detail request answers 404. So a candidate is noted when a clean stretch of the sweep
(or a poll window, after a 404) misses it, dropped as soon as any page lists it again, made
``eligible`` when a sweep pass ends clean, and only then checked by a detail request.
A pass that would make an implausible share of the mirror eligible is treated as a bad
upstream answer: its candidates wait for the next pass instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, delete, select, update

from models.store.tables import DockingEvent, RemovalCandidate

log = logging.getLogger(__name__)

# At most this many events (or this share of the mirror, if larger) may become eligible for
# removal after one sweep pass; more than that points at a broken upstream answer.
MAX_ELIGIBLE_EVENTS = 20
MAX_ELIGIBLE_SHARE = 0.05


def local_ids_between(session: Session, lower: int | None, upper: int | None) -> set[int]:
    """Stored event ids in ``(lower, upper]`` (open ends when None)."""
    query = select(DockingEvent.id)
    if lower is not None:
        query = query.where(col(DockingEvent.id) > lower)
    if upper is not None:
        query = query.where(col(DockingEvent.id) <= upper)
    return set(session.exec(query).all())


def known_candidates(session: Session, ids: Collection[int] | None = None) -> set[int]:
    """Candidate ids (restricted to ``ids`` when given)."""
    query = select(RemovalCandidate.event_id)
    if ids is not None:
        if not ids:
            return set()
        query = query.where(col(RemovalCandidate.event_id).in_(list(ids)))
    return set(session.exec(query).all())


def note_candidates(session: Session, ids: Collection[int], now: dt.datetime) -> None:
    """Record events upstream did not list (already known ones are left as they are)."""
    new = set(ids) - known_candidates(session, ids)
    for event_id in sorted(new):
        session.add(RemovalCandidate(event_id=event_id, noticed_at=now))
    if new:
        session.flush()
        log.info("removal candidates noted: %s", sorted(new))


def forget_seen(session: Session, seen: Collection[int]) -> None:
    """Drop the candidates a page has just listed again (no write when there are none)."""
    back = known_candidates(session, seen)
    if back:
        session.exec(delete(RemovalCandidate).where(col(RemovalCandidate.event_id).in_(back)))


def promote_after_clean_pass(session: Session) -> int:
    """Make every candidate eligible after a clean pass; returns how many (0 if implausible)."""
    pending = known_candidates(session)
    if not pending:
        return 0
    stored = session.exec(select(func.count()).select_from(DockingEvent)).one()
    allowed = max(MAX_ELIGIBLE_EVENTS, int(stored * MAX_ELIGIBLE_SHARE))
    if len(pending) > allowed:
        log.warning(
            "a sweep pass missed %d of %d events; treating it as a bad upstream answer",
            len(pending),
            stored,
        )
        session.exec(delete(RemovalCandidate))
        return 0
    session.exec(update(RemovalCandidate).values(eligible=True))
    return len(pending)


def eligible_candidates(session: Session, limit: int | None) -> Sequence[int]:
    """Eligible candidates, oldest id first, at most ``limit``."""
    query = (
        select(RemovalCandidate.event_id)
        .where(col(RemovalCandidate.eligible).is_(True))
        .order_by(col(RemovalCandidate.event_id))
    )
    if limit is not None:
        query = query.limit(limit)
    return session.exec(query).all()


def forget(session: Session, event_id: int) -> None:
    """Drop one candidate (it was removed, or its detail still answers)."""
    session.exec(delete(RemovalCandidate).where(col(RemovalCandidate.event_id) == event_id))
