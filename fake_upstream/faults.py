"""Scripted misbehaviour: ``Fault``, the ``FaultQueue`` tests fill, and applying a fault.

Each request takes the first queued fault for its route (and, for a fault with ``query``, for
exactly that set of query parameters), which then counts one use (a fault with ``times=None``
stays until cleared). A fault answers an error status (5xx with a small HTML
page, 429 with ``Retry-After``), delays the answer, sends the body in many small parts with a
pause before each (a whole answer that takes long to arrive), cuts the body short, adds or
drops a field, edits one event's value (a value upstream should never send), returns a short
list page, or drops the connection without an answer.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime as http_date
from typing import Any, Literal
from urllib.parse import parse_qsl

from fake_upstream.serializers import Response, Route, dumps
from fake_upstream.values import dig

RouteFilter = Literal["list", "detail", "any"]
FaultKind = Literal[
    "status",
    "slow",
    "dribble",
    "truncate",
    "extra_field",
    "missing_field",
    "edit_event",
    "short_page",
    "disconnect",
]


@dataclass
class Fault:
    """One queued misbehaviour; it answers ``times`` matching requests (None: until cleared)."""

    kind: FaultKind
    route: RouteFilter = "any"
    times: int | None = 1
    status: int = 503
    retry_after: int | str | datetime | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    path: str = ""
    value: Any = None
    event_id: int | None = None
    query: frozenset[tuple[str, str]] | None = None
    keep: int | None = None
    parts: int = 1
    reset: bool = False
    incomplete: bool = False
    used: int = 0

    def matches(self, route: Route, query: frozenset[tuple[str, str]] = frozenset()) -> bool:
        """Whether this fault applies to a request on ``route`` with these query parameters."""
        return self.route in ("any", route) and self.query in (None, query)


class FaultQueue:
    """Faults consumed in order, one per matching request; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault) -> Fault:
        """Queue ``fault`` behind the others."""
        with self._lock:
            self._queue.append(fault)
        return fault

    def take(self, route: Route, query: frozenset[tuple[str, str]] = frozenset()) -> Fault | None:
        """The first fault for ``route`` and ``query`` (the request's (name, value) pairs),
        counted as used (dropped when exhausted)."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(route, query):
                    fault.used += 1
                    if fault.times is not None and fault.used >= fault.times:
                        self._queue.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> list[Fault]:
        """The faults still queued."""
        with self._lock:
            return list(self._queue)

    def __len__(self) -> int:
        return len(self.pending)

    def error(
        self,
        status: int = 503,
        *,
        times: int | None = 1,
        retry_after: int | str | datetime | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        route: RouteFilter = "any",
    ) -> Fault:
        """Answer ``status`` (5xx get a small HTML page unless ``body`` is given)."""
        if body is None and status >= 500:
            body = f"<h1>Server Error ({status})</h1>".encode()
            content_type = content_type or "text/html; charset=utf-8"
        return self.add(
            Fault("status", route, times, status=status, retry_after=retry_after, body=body,
                  content_type=content_type or "application/json")
        )  # fmt: skip

    def unavailable(
        self, times: int | None = 1, *, retry_after: int | str | datetime | None = None,
        route: RouteFilter = "any",
    ) -> Fault:  # fmt: skip
        """A burst of ``times`` 503 answers, optionally with ``Retry-After``."""
        return self.error(503, times=times, retry_after=retry_after, route=route)

    def server_error(self, times: int | None = 1, *, route: RouteFilter = "any") -> Fault:
        """``times`` 500 answers."""
        return self.error(500, times=times, route=route)

    def throttle(
        self, retry_after: int | datetime = 60, *, times: int | None = 1,
        route: RouteFilter = "any",
    ) -> Fault:  # fmt: skip
        """429 with ``Retry-After`` in seconds (int) or HTTP-date form (datetime)."""
        return self.add(Fault("status", route, times, status=429, retry_after=retry_after))

    def slow(self, seconds: float, *, times: int | None = 1, route: RouteFilter = "any") -> Fault:
        """Wait ``seconds`` before answering normally (for client timeouts)."""
        return self.add(Fault("slow", route, times, delay=seconds))

    def dribble(
        self, parts: int = 20, interval: float = 0.2, *, times: int | None = 1,
        route: RouteFilter = "any",
    ) -> Fault:  # fmt: skip
        """Answer normally, but send the body in ``parts`` parts, ``interval`` seconds before
        each: every part arrives well within a read timeout, the whole answer only after
        ``parts * interval`` seconds."""
        return self.add(Fault("dribble", route, times, delay=interval, parts=max(1, parts)))

    def truncate(
        self, *, incomplete: bool = False, times: int | None = 1, route: RouteFilter = "any"
    ) -> Fault:
        """200 with the JSON body cut in half; ``incomplete`` promises the full length and
        closes the connection early instead."""
        return self.add(Fault("truncate", route, times, incomplete=incomplete))

    def extra_field(
        self, name: str = "unexpected_field", value: Any = "surprise", *, path: str = "",
        times: int | None = 1, route: RouteFilter = "any",
    ) -> Fault:  # fmt: skip
        """Add ``name: value`` to every event (or to the object at dotted ``path`` in it)."""
        return self.add(Fault("extra_field", route, times, path=path, value=(name, value)))

    def missing_field(
        self, path: str = "flight_vehicle.mission_end", *, times: int | None = 1,
        route: RouteFilter = "any",
    ) -> Fault:  # fmt: skip
        """Drop the key at dotted ``path`` from every event."""
        return self.add(Fault("missing_field", route, times, path=path))

    def edit_event(
        self, event_id: int, path: str, value: Any, *, times: int | None = 1,
        route: RouteFilter = "any", query: str | None = None,
    ) -> Fault:  # fmt: skip
        """Set the value at dotted ``path`` of event ``event_id`` only (``"id"`` included), as
        served: the stored event stays as it was. With ``query`` (``"limit=100&ordering=id"``)
        only requests with exactly those parameters, in any order, are edited."""
        pairs = None if query is None else frozenset(parse_qsl(query, keep_blank_values=True))
        return self.add(
            Fault("edit_event", route, times, path=path, value=value, event_id=event_id,
                  query=pairs)
        )  # fmt: skip

    def short_page(self, keep: int | None = None, *, times: int | None = 1) -> Fault:
        """A list page with only ``keep`` results (default half) while ``next`` stays set."""
        return self.add(Fault("short_page", "list", times, keep=keep))

    def disconnect(
        self, *, reset: bool = False, times: int | None = 1, route: RouteFilter = "any"
    ) -> Fault:
        """Close the connection without an answer; ``reset`` sends a TCP RST."""
        return self.add(Fault("disconnect", route, times, reset=reset))


def _retry_after_value(value: int | str | datetime) -> str:
    if isinstance(value, datetime):
        return http_date(value.astimezone(UTC), usegmt=True)
    return str(value)


def _throttle_seconds(value: int | str | datetime | None) -> int:
    if isinstance(value, datetime):
        return max(0, math.ceil((value - datetime.now(UTC)).total_seconds()))
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _edit_each(results: list[dict[str, Any]], fault: Fault) -> None:
    for event in results:
        parts = [p for p in fault.path.split(".") if p]
        if fault.kind == "edit_event":
            parent = dig(event, parts[:-1]) if event.get("id") == fault.event_id else None
            if isinstance(parent, dict) and parts:
                parent[parts[-1]] = copy.deepcopy(fault.value)
        elif fault.kind == "extra_field":
            target = dig(event, parts)
            if isinstance(target, dict):
                name, value = fault.value
                target[name] = copy.deepcopy(value)
        elif parts:
            parent = dig(event, parts[:-1])
            if isinstance(parent, dict):
                parent.pop(parts[-1], None)


def apply_fault(fault: Fault, answer: Callable[[], Response], route: Route) -> Response:
    if fault.kind == "disconnect":
        return Response(
            0, action="reset" if fault.reset else "close", route=route, fault="disconnect"
        )
    if fault.kind == "status":
        return _status_fault(fault, route)
    response = answer()
    response.fault = fault.kind
    if fault.kind == "slow":
        response.delay = fault.delay
    if fault.kind == "dribble":
        response.parts, response.interval = fault.parts, fault.delay
    if response.status != 200:
        return response
    if fault.kind == "truncate":
        if fault.incomplete:
            response.action = "partial"
        else:
            response.body = response.body[: len(response.body) // 2]
        return response
    body = json.loads(response.body)
    results = body["results"] if route == "list" else [body]
    if fault.kind in ("extra_field", "missing_field", "edit_event"):
        _edit_each(results, fault)
    elif fault.kind == "short_page" and route == "list":
        keep = len(results) // 2 if fault.keep is None else fault.keep
        body["results"] = results[:keep]
    response.body = dumps(body)
    return response


def _status_fault(fault: Fault, route: Route) -> Response:
    headers = [("Content-Type", fault.content_type)]
    if fault.retry_after is not None:
        headers.append(("Retry-After", _retry_after_value(fault.retry_after)))
    body = fault.body
    if body is None and fault.status == 429:
        n = _throttle_seconds(fault.retry_after)
        unit = "second" if n == 1 else "seconds"
        body = dumps({"detail": f"Request was throttled. Expected available in {n} {unit}."})
    elif body is None:
        body = dumps({"detail": f"Error {fault.status}."})
    return Response(fault.status, body, headers, route=route, fault="status")
