"""``GET /events``: the notifications as Server-Sent Events, live from the Redis Stream.

Each notification is one event: ``id:`` the stream entry id, ``event:`` the CloudEvent type,
``data:`` the CloudEvent JSON on one line. ``Last-Event-ID`` (the header a browser's ``EventSource``
sends when it reconnects, or ``?last_event_id=``) resumes after that entry from the retained stream
(``0`` replays everything retained); ``?types=`` (a comma list) keeps only those CloudEvent
types (an unknown one is a 400), ``?station=`` and ``?vehicle=`` (comma lists of ids or names)
only the notifications of those space stations or spacecraft (``models.fleet.subscription``);
an idle connection gets a ``: keep-alive`` comment every ``keepalive_seconds``. Without Redis
the rest of the mirror serves and this route answers 503 ``{"detail": "…"}`` (one line).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf.renderer import json_response
from api_mirror.live.fanout import Listener, StreamFanout
from models.fleet.stream import NOTIFICATION_TYPES, StreamEntry, entry_id_key, is_entry_id
from models.fleet.subscription import NotificationFilter
from models.support.redact import redact_url

NOT_CONFIGURED = "live notifications are off: this mirror was started without a Redis URL"


@dataclass(frozen=True)
class EventFeed:
    """What ``/events`` needs: the fan-out reader and the keep-alive interval."""

    fanout: StreamFanout
    keepalive_seconds: float


def _feed(request: Request) -> EventFeed | None:
    feed: EventFeed | None = getattr(request.app.state, "event_feed", None)
    return feed


def _sse(entry: StreamEntry) -> ServerSentEvent:
    return ServerSentEvent(data=entry.data, event=entry.type, id=entry.entry_id)


def _shown(entry: StreamEntry, wanted: NotificationFilter) -> bool:
    return entry.event is not None and wanted.matches(entry.event)


def _keepalive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive")


async def stream_events(request: Request) -> Response:
    """The SSE stream (or 400 for a malformed ``Last-Event-ID``, 503 without Redis)."""
    feed = _feed(request)
    if feed is None:
        return json_response(503, {"detail": NOT_CONFIGURED})
    after = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if after is not None and not is_entry_id(after.strip()):
        detail = "Last-Event-ID must be a stream entry id such as 1735689600000-0, or 0"
        return json_response(400, {"detail": detail})
    query = request.query_params
    unknown = sorted(
        {t.strip() for v in query.getlist("types") for t in v.split(",") if t.strip()}
        - set(NOTIFICATION_TYPES)
    )
    if unknown:  # as `dockwatch subscribe --type` refuses it: it could never match
        detail = f"unknown notification type {unknown[0]!r}: one of {', '.join(NOTIFICATION_TYPES)}"
        return json_response(400, {"detail": detail})
    wanted = NotificationFilter.parse(
        types=query.getlist("types"),
        stations=query.getlist("station"),
        vehicles=query.getlist("vehicle"),
    )
    fanout = feed.fanout
    try:
        listener = await fanout.subscribe()
        backlog = await fanout.read_after(after.strip()) if after is not None else []
    except (redis.RedisError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        where = redact_url(fanout.redis_url)
        detail = f"live notifications are unavailable: cannot reach Redis at {where} ({reason})"
        return json_response(503, {"detail": detail})
    events = _events(fanout, listener, backlog, after, wanted)
    return EventSourceResponse(events, ping=feed.keepalive_seconds, ping_message_factory=_keepalive)


async def _events(
    fanout: StreamFanout,
    listener: Listener,
    backlog: list[StreamEntry],
    after: str | None,
    wanted: NotificationFilter,
) -> AsyncIterator[ServerSentEvent]:
    """The retained entries after ``after`` page by page, then the live ones, each once."""
    last = entry_id_key(after) if after is not None else None
    try:
        while backlog:
            for entry in backlog:
                if _shown(entry, wanted):
                    yield _sse(entry)
            last = entry_id_key(backlog[-1].entry_id)
            backlog = await fanout.read_after(backlog[-1].entry_id)
        while (live := await listener.queue.get()) is not None:
            if last is not None and entry_id_key(live.entry_id) <= last:
                continue  # already sent from the retained range
            if _shown(live, wanted):
                yield _sse(live)
    except (redis.RedisError, OSError):
        return  # the client reconnects with Last-Event-ID and resumes
    finally:
        fanout.unsubscribe(listener)
