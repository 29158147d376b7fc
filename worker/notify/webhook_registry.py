"""Registering and removing webhook endpoints: the database row and its consumer group together.

An endpoint receives every notification published after it was registered (that its filter
matches): ``register`` creates its consumer group at the stream's end (``$``) before the row
commits, so the delivery process, which notices new rows a few seconds later, misses nothing in
between. A group that cannot be
created (Redis down) leaves no row behind. ``unregister`` deletes the row, then the group with
whatever it still had pending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit

import redis
from sqlalchemy.engine import Engine

from models.store.db import session_scope
from models.store.tables import WebhookEndpoint
from models.store.webhook_endpoints import add_endpoint, consumer_group, remove_endpoint
from worker.notify.subscriber import Subscriber


class EndpointUrlError(ValueError):
    """A URL that cannot be an endpoint; the message is one line (and never quotes the URL)."""


def check_url(url: str) -> str:
    """The URL if it is http(s) with a host and no credentials; raises EndpointUrlError.

    Credentials in a URL would be stored and sent in clear; the signature authenticates
    deliveries instead (a token in the query string is accepted and never logged).
    """
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as error:
        raise EndpointUrlError(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise EndpointUrlError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise EndpointUrlError(
            "must not carry credentials (user:password@); the signature authenticates deliveries"
        )
    return url


def register(
    engine: Engine,
    redis_client: redis.Redis,
    stream: str,
    *,
    url: str,
    secret: str,
    event_types: Sequence[str],
    now: dt.datetime,
    stations: Sequence[str] = (),
    vehicles: Sequence[str] = (),
) -> WebhookEndpoint:
    """Store an endpoint and create its consumer group at the stream's end; returns the row.

    ``event_types``, ``stations`` and ``vehicles`` are its filter (empty: everything).
    """
    with session_scope(engine) as session:
        endpoint = add_endpoint(
            session,
            check_url(url),
            secret,
            event_types,
            now=now,
            stations=stations,
            vehicles=vehicles,
        )
        assert endpoint.id is not None
        group = consumer_group(endpoint.id)
        Subscriber(redis_client, stream, group=group, consumer="register").ensure_group()
    return endpoint


def unregister(engine: Engine, redis_client: redis.Redis, stream: str, endpoint_id: int) -> None:
    """Delete the endpoint (EndpointNotFound if there is none) and its consumer group."""
    with session_scope(engine) as session:
        remove_endpoint(session, endpoint_id)
    if redis_client.exists(stream):
        redis_client.xgroup_destroy(stream, consumer_group(endpoint_id))
