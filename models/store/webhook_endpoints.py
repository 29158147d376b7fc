"""The webhook endpoint registry: endpoints and their delivery state, in the database.

Every process reads the same rows: ``dockwatch webhooks`` manages them, the delivery loop
records each attempt on its endpoint's row, and a report (``webhooks list``, metrics) reads the
state back. Functions work in the caller's session and never commit. Each endpoint reads the
notification stream through its own consumer group, named by ``consumer_group`` from its id
(ids are never reused, so a group never outlives its endpoint into a new one).

An endpoint's filter is its ``event_types``, ``stations`` and ``vehicles`` (``endpoint_filter``);
an entry it does not match is skipped (``record_skip``): acknowledged without a request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.fleet.subscription import NotificationFilter, written_terms
from models.ll2.formats import format_datetime
from models.store.tables import WebhookEndpoint
from models.support.redact import without_credentials


class EndpointNotFound(Exception):
    """No endpoint has this id; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one delivery attempt ended, as recorded on the endpoint's row.

    ``status`` is the HTTP status (None when no answer came: ``error`` says why, in one line
    without the URL); ``next_attempt_at`` is when the same entry goes again (None when the
    attempt settled it: delivered, dead-lettered or the endpoint disabled).
    """

    at: dt.datetime
    status: int | None
    error: str | None
    delivered: bool
    next_attempt_at: dt.datetime | None


def consumer_group(endpoint_id: int) -> str:
    """The consumer group through which endpoint ``endpoint_id`` reads the stream."""
    return f"webhook:{endpoint_id}"


def add_endpoint(
    session: Session,
    url: str,
    secret: str,
    event_types: Sequence[str],
    *,
    now: dt.datetime,
    stations: Sequence[str] = (),
    vehicles: Sequence[str] = (),
) -> WebhookEndpoint:
    """Insert an enabled endpoint (flushed, so its ``id`` is set); the caller commits.

    ``event_types``, ``stations`` and ``vehicles`` are its filter (comma lists are split; empty:
    every notification of that kind).
    """
    endpoint = WebhookEndpoint(url=url, secret=secret, enabled=True, created_at=now)
    _set_filter(endpoint, event_types, stations, vehicles)
    session.add(endpoint)
    session.flush()
    return endpoint


def set_filter(
    session: Session,
    endpoint_id: int,
    *,
    event_types: Sequence[str] = (),
    stations: Sequence[str] = (),
    vehicles: Sequence[str] = (),
) -> WebhookEndpoint:
    """Replace the endpoint's whole filter (nothing given: every notification); raises
    EndpointNotFound. Its position in the stream is kept: the delivery reads the filter anew for
    each entry, so the next entry it settles is judged by this one."""
    endpoint = get_endpoint(session, endpoint_id)
    _set_filter(endpoint, event_types, stations, vehicles)
    session.add(endpoint)
    session.flush()
    return endpoint


def _set_filter(
    endpoint: WebhookEndpoint,
    event_types: Sequence[str],
    stations: Sequence[str],
    vehicles: Sequence[str],
) -> None:
    endpoint.event_types = written_terms(event_types)
    endpoint.stations = written_terms(stations)
    endpoint.vehicles = written_terms(vehicles)


def endpoint_filter(endpoint: WebhookEndpoint) -> NotificationFilter:
    """The notifications the endpoint wants, as the stream's one filter."""
    return NotificationFilter.parse(
        types=endpoint.event_types, stations=endpoint.stations, vehicles=endpoint.vehicles
    )


def list_endpoints(session: Session, *, enabled_only: bool = False) -> list[WebhookEndpoint]:
    """Every endpoint in id order (only the enabled ones with ``enabled_only``)."""
    query = select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))
    if enabled_only:
        query = query.where(col(WebhookEndpoint.enabled).is_(True))
    return list(session.exec(query))


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint with this id; raises EndpointNotFound."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(f"no webhook endpoint has id {endpoint_id}")
    return endpoint


def remove_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """Delete the endpoint; returns the deleted row. Raises EndpointNotFound."""
    endpoint = get_endpoint(session, endpoint_id)
    session.delete(endpoint)
    session.flush()
    return endpoint


def set_enabled(
    session: Session, endpoint_id: int, enabled: bool, *, reason: str | None = None
) -> WebhookEndpoint:
    """Enable (clearing the failure state, so the pending entry goes at once) or disable it."""
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.enabled = enabled
    endpoint.disabled_reason = None if enabled else reason
    if enabled:
        endpoint.failures_in_a_row = 0
        endpoint.failing_since = None
        endpoint.next_attempt_at = None
    session.add(endpoint)
    session.flush()
    return endpoint


def record_attempt(session: Session, endpoint_id: int, attempt: Attempt) -> WebhookEndpoint:
    """Write one attempt's outcome on the endpoint's row; raises EndpointNotFound."""
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.last_attempt_at = attempt.at
    endpoint.last_status = attempt.status
    endpoint.last_error = attempt.error
    endpoint.next_attempt_at = attempt.next_attempt_at
    if attempt.delivered:
        endpoint.delivered += 1
        endpoint.failures_in_a_row = 0
        endpoint.failing_since = None
    else:
        endpoint.failures_in_a_row += 1
        endpoint.failing_since = endpoint.failing_since or attempt.at
    session.add(endpoint)
    session.flush()
    return endpoint


def record_skip(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """Count an entry the filter passed over; raises EndpointNotFound.

    No attempt was made, so the last attempt and the run of failures stay as they were; a retry
    the row had planned was for that entry and is dropped (the next entry goes at once).
    """
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.skipped += 1
    endpoint.next_attempt_at = None
    session.add(endpoint)
    session.flush()
    return endpoint


@dataclass(frozen=True, slots=True)
class EndpointCounts:
    """How many endpoints are registered, disabled (a 410, or by hand) and failing (enabled,
    with failures in a row since their last success)."""

    registered: int
    disabled: int
    failing: int


def endpoint_counts(session: Session) -> EndpointCounts:
    """The endpoints counted by state, in one statement."""
    disabled = col(WebhookEndpoint.enabled).is_(False)
    failing = col(WebhookEndpoint.enabled).is_(True) & (col(WebhookEndpoint.failures_in_a_row) > 0)
    query = select(
        func.count(),
        func.coalesce(func.sum(case((disabled, 1), else_=0)), 0),
        func.coalesce(func.sum(case((failing, 1), else_=0)), 0),
    ).select_from(WebhookEndpoint)
    registered, disabled_count, failing_count = session.exec(query).one()
    return EndpointCounts(int(registered), int(disabled_count), int(failing_count))


def public_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint as JSON for reports: no secret, the URL without query string or credentials."""
    return {
        "id": endpoint.id,
        "url": without_credentials(endpoint.url),
        "types": list(endpoint.event_types),
        "stations": list(endpoint.stations),
        "vehicles": list(endpoint.vehicles),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": format_datetime(endpoint.created_at),
        "delivered": endpoint.delivered,
        "skipped": endpoint.skipped,
        "last_attempt_at": format_datetime(endpoint.last_attempt_at),
        "last_status": endpoint.last_status,
        "last_error": endpoint.last_error,
        "failures_in_a_row": endpoint.failures_in_a_row,
        "failing_since": format_datetime(endpoint.failing_since),
        "next_attempt_at": format_datetime(endpoint.next_attempt_at),
    }
