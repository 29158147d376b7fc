"""A fake Launch Library 2 (2.2.0) docking-event server on real sockets, for tests and demos.

``FakeUpstream`` serves ``GET /2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/`` from a
plain list of detailed-form event dicts, following ``SPEC.md`` (its Decisions first). It doubles
as the independent reference implementation of the query rules, so the rules below are plain
Python over the events, written straight from the spec, and nothing is imported from
``api_mirror`` or ``worker``. Tests script it between requests (edits, a clock, queued faults)
and read its request log. Run ``python -m tests.fake_upstream --port 8999`` for a demo server.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import re
import signal
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime as http_date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, unquote, urlencode

from tests.upstream_data import (
    DEFAULT_NOW,
    Event,
    format_datetime,
    format_duration,
    generate_history,
    parse_datetime,
    parse_duration,
)

Pairs = list[tuple[str, str]]
Route = Literal["list", "detail"]
RouteFilter = Literal["list", "detail", "any"]

API_ROOT = "/2.2.0"
LIST_PATH = f"{API_ROOT}/docking_event/"
_DETAIL_RE = re.compile(r"^/2\.2\.0/docking_event/([^/]+)/$")

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
ID_FILTERS = {  # parameter -> Row attribute
    "space_station__id": "station_id",
    "flight_vehicle__id": "flight_id",
    "docking_location__id": "location_id",
}
DATE_FILTERS = {
    "docking__gt": "gt",
    "docking__gte": "gte",
    "docking__lt": "lt",
    "docking__lte": "lte",
}
ORDERING_FIELDS = ("id", "docking", "departure")
NOT_FOUND = {"detail": "Not found."}
NO_EVENT = {"detail": "No DockingEvent matches the given query."}
NORMAL_SPACECRAFT_KEYS = (
    "id", "url", "name", "serial_number", "is_placeholder", "in_space", "time_in_space",
    "time_docked", "flights_count", "mission_ends_count", "status", "description",
)  # fmt: skip
NORMAL_CONFIG_KEYS = ("id", "url", "name", "type", "agency", "in_use", "image_url")
AGENCY_MINI_KEYS = ("id", "url", "name", "type")


# --- query rules (SPEC §2, §3 and Decisions) -------------------------------------------------


class QueryError(Exception):
    """A 400 answer: ``body`` is the JSON to send."""

    def __init__(self, body: Any) -> None:
        super().__init__(body)
        self.body = body


@dataclass(frozen=True)
class Row:
    """The parts of one event the query rules look at."""

    id: int
    station_id: Any
    flight_id: Any
    location_id: Any
    craft_id: Any
    docking: datetime
    departure: datetime | None
    haystacks: tuple[str, ...]

    @classmethod
    def of(cls, event: Event) -> Row:
        """Extract the queried fields of a detailed event."""
        flight = event.get("flight_vehicle") or {}
        names = (
            _dig(event, ("space_station", "name")),
            _dig(flight, ("spacecraft", "name")),
            _dig(event, ("docking_location", "name")),
        )
        departure = event.get("departure")
        return cls(
            id=event["id"],
            station_id=_dig(event, ("space_station", "id")),
            flight_id=flight.get("id"),
            location_id=_dig(event, ("docking_location", "id")),
            craft_id=_dig(flight, ("spacecraft", "id")),
            docking=parse_datetime(event["docking"]),
            departure=parse_datetime(departure) if departure else None,
            haystacks=tuple(n.lower() for n in names if isinstance(n, str)),
        )


def _dig(value: Any, path: Iterable[str]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def parse_query(raw: str) -> Pairs:
    """Query string to (name, value) pairs: ``+`` is a space, ``?z`` is ``z=``."""
    return parse_qsl(raw, keep_blank_values=True)


def last_values(pairs: Pairs) -> dict[str, str]:
    """The value that counts for each name: the last one given."""
    return dict(pairs)


_NO_MATCH = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AboveMaximum(ValueError):
    """A number above django-filter's NumberFilter maximum (``MaxValueValidator(1e50)``)."""


def parse_id_value(value: str) -> int | object:
    """A decimal number cut toward zero; ``_NO_MATCH`` when too large to be an id; raises
    ``AboveMaximum`` above the float 1e50 (there is no minimum)."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    if number > 1e50:
        raise AboveMaximum(value)
    if abs(number) >= 2**63:
        return _NO_MATCH
    return int(number)


_DT_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,](?P<f>[0-9]{1,6})[0-9]{0,6})?)?"
    r"\s*(?P<tz>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def parse_datetime_value(value: str) -> datetime:
    """ISO 8601 (``T`` or space, optional seconds/fraction, ``Z``/offset); date only = midnight,
    naive = UTC. Raises ``ValueError`` for anything else."""
    match = _DT_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(value)
    g = match.groupdict()
    zone: timezone = UTC
    if g["tz"] and g["tz"] != "Z":
        sign = -1 if g["tz"][0] == "-" else 1
        digits = g["tz"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        zone = timezone(sign * offset)  # raises ValueError beyond ±24 h
    return datetime(
        int(g["y"]), int(g["mo"]), int(g["d"]), int(g["h"] or 0), int(g["mi"] or 0),
        int(g["s"] or 0), int((g["f"] or "0").ljust(6, "0")), tzinfo=zone,
    )  # fmt: skip


_SMART_SPLIT_RE = re.compile(
    r"""((?:[^\s'"]*(?:(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')[^\s'"]*)+)|\S+)"""
)


def split_search_terms(value: str) -> list[str]:
    """Cut ``search`` into terms the way the framework does (Decisions: Filters, search)."""
    terms: list[str] = []
    for match in _SMART_SPLIT_RE.finditer(value):
        piece = match.group(0).strip(",")
        if piece.startswith(('"', "'")) and piece[0] == piece[-1]:
            quote = piece[0]
            terms.append(piece[1:-1].replace("\\" + quote, quote).replace("\\\\", "\\"))
        else:
            terms.extend(part.strip() for part in piece.split(",") if part)
    return terms


def parse_ordering(value: str | None) -> list[str]:
    """Known ordering terms, trimmed, at most one leading ``-``; default ``["id"]``."""
    terms = [term.strip() for term in (value or "").split(",")]
    known = [t for t in terms if (t[1:] if t.startswith("-") else t) in ORDERING_FIELDS]
    return known or ["id"]


def _whole_number(value: str | None) -> int | None:
    text = (value or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() accepts: treat as absent
        return None


def parse_limit(value: str | None) -> int:
    """Whole numbers only; absent, junk or <= 0 means 10; above 100 means 100."""
    number = _whole_number(value)
    if number is None or number <= 0:
        return DEFAULT_LIMIT
    return min(number, MAX_LIMIT)


def parse_offset(value: str | None) -> int:
    """Whole numbers only; absent, junk or negative means 0."""
    number = _whole_number(value)
    return 0 if number is None or number < 0 else number


def _filters(params: Mapping[str, str]) -> list[Callable[[Row], bool]]:
    """Predicates for the non-empty filters; one 400 body naming every bad parameter."""
    checks: list[Callable[[Row], bool]] = []
    errors: dict[str, list[str]] = {}
    for name, attr in ID_FILTERS.items():
        value = params.get(name, "")
        if value == "":
            continue
        try:
            wanted = parse_id_value(value)
        except AboveMaximum:
            errors[name] = ["Ensure this value is less than or equal to 1e+50."]
            continue
        except ValueError:
            errors[name] = ["Enter a number."]
            continue
        checks.append(lambda row, a=attr, w=wanted: w is not _NO_MATCH and getattr(row, a) == w)
    for name, op in DATE_FILTERS.items():
        value = params.get(name, "")
        if value == "":
            continue
        try:
            bound = parse_datetime_value(value)
        except ValueError:
            errors[name] = ["Enter a valid date/time."]
            continue
        checks.append(_date_check(op, bound))
    if errors:
        raise QueryError(errors)
    return checks


def _date_check(op: str, bound: datetime) -> Callable[[Row], bool]:
    compare: dict[str, Callable[[datetime], bool]] = {
        "gt": lambda d: d > bound,
        "gte": lambda d: d >= bound,
        "lt": lambda d: d < bound,
        "lte": lambda d: d <= bound,
    }
    return lambda row: compare[op](row.docking)


def _search_check(params: Mapping[str, str]) -> Callable[[Row], bool]:
    value = params.get("search", "")
    if "\x00" in value:
        raise QueryError(["Null characters are not allowed."])
    terms = [term.lower() for term in split_search_terms(value)]
    return lambda row: all(any(t in hay for hay in row.haystacks) for t in terms)


def order_rows(rows: list[Row], ordering: list[str]) -> list[Row]:
    """Sort by the terms, then id ascending; departure NULL last ascending, first descending."""
    result = sorted(rows, key=lambda r: r.id)
    for term in reversed(ordering):
        name, descending = term.lstrip("-"), term.startswith("-")
        if name == "id":
            key: Callable[[Row], Any] = lambda r: r.id  # noqa: E731
        elif name == "docking":
            key = lambda r: r.docking  # noqa: E731
        else:
            key = lambda r: (r.departure is None, r.departure or _EPOCH)  # noqa: E731
        result.sort(key=key, reverse=descending)
    return result


@dataclass(frozen=True)
class Page:
    """One list answer before rendering."""

    count: int
    rows: list[Row]
    limit: int
    offset: int


def select(rows: Iterable[Row], pairs: Pairs) -> Page:
    """Filter, search, order and page ``rows`` for a request's query pairs (raises QueryError)."""
    params = last_values(pairs)
    checks = _filters(params)
    checks.append(_search_check(params))
    matched = [row for row in rows if all(check(row) for check in checks)]
    ordered = order_rows(matched, parse_ordering(params.get("ordering")))
    limit, offset = parse_limit(params.get("limit")), parse_offset(params.get("offset"))
    return Page(len(ordered), ordered[offset : offset + limit], limit, offset)


def encode_query(pairs: Pairs) -> str:
    """Names sorted in code-point order (repeats keep their order), form-encoded upper-case hex."""
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def page_links(base: str, pairs: Pairs, page: Page) -> tuple[str | None, str | None]:
    """``next`` and ``previous`` for a page, built on ``base`` (``…/docking_event/``)."""
    kept = [(k, v) for k, v in pairs if k not in ("limit", "offset")]
    limit = [("limit", str(page.limit))]
    following = None
    if page.offset + page.limit < page.count:
        offset = [("offset", str(page.offset + page.limit))]
        following = f"{base}?{encode_query(kept + limit + offset)}"
    previous = None
    if page.offset > 0:
        back = page.offset - page.limit
        offset = [("offset", str(back))] if back > 0 else []
        previous = f"{base}?{encode_query(kept + limit + offset)}"
    return following, previous


# --- rendering (SPEC §4) ---------------------------------------------------------------------


def _suffixed(value: Any, suffix: str) -> Any:
    """A deep copy with ``suffix`` appended to every ``url`` string."""
    if isinstance(value, dict):
        return {
            k: v + suffix if k == "url" and isinstance(v, str) else _suffixed(v, suffix)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_suffixed(v, suffix) for v in value]
    return value


def _project(value: Any, keys: Iterable[str]) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: value[k] for k in keys if k in value}


def _normal_spacecraft(craft: Any) -> Any:
    if not isinstance(craft, dict):
        return craft
    out = _project(craft, (*NORMAL_SPACECRAFT_KEYS, "spacecraft_config"))
    config = out.get("spacecraft_config")
    if isinstance(config, dict):
        config = _project(config, NORMAL_CONFIG_KEYS)
        if "agency" in config:
            config["agency"] = _project(config["agency"], AGENCY_MINI_KEYS)
        out["spacecraft_config"] = config
    return out


def render_event(event: Event, *, detailed: bool, url: str, suffix: str = "") -> dict[str, Any]:
    """One event in normal or detailed form; ``url`` is its own link (suffix added here)."""
    out = _suffixed(event, suffix)
    out["url"] = url + suffix
    if detailed:
        return out
    out.pop("space_station", None)
    flight = out.get("flight_vehicle")
    if isinstance(flight, dict) and "spacecraft" in flight:
        flight["spacecraft"] = _normal_spacecraft(flight["spacecraft"])
    return out


def dumps(body: Any) -> bytes:
    """Compact JSON as the framework writes it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# --- faults ----------------------------------------------------------------------------------

FaultKind = Literal[
    "status", "slow", "truncate", "extra_field", "missing_field", "short_page", "disconnect"
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
    keep: int | None = None
    reset: bool = False
    incomplete: bool = False
    used: int = 0

    def matches(self, route: Route) -> bool:
        """Whether this fault applies to a request on ``route``."""
        return self.route in ("any", route)


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

    def take(self, route: Route) -> Fault | None:
        """The first fault for ``route``, counted as used (dropped when exhausted)."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(route):
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
        if fault.kind == "extra_field":
            target = _dig(event, parts)
            if isinstance(target, dict):
                name, value = fault.value
                target[name] = copy.deepcopy(value)
        elif parts:
            parent = _dig(event, parts[:-1])
            if isinstance(parent, dict):
                parent.pop(parts[-1], None)


# --- request log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request as the fake saw it, and the status it answered (None: no answer)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    status: int | None
    at: datetime
    route: Route | None = None
    fault: FaultKind | None = None

    @property
    def params(self) -> dict[str, str]:
        """Last value of each query parameter."""
        return dict(self.query)

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class RequestLog:
    """Every request, in arrival order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Record one request."""
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the records."""
        with self._lock:
            return list(self._records)

    def count(
        self, route: Route | None = None, *, method: str | None = None, path: str | None = None
    ) -> int:
        """How many requests matched (all when no criteria)."""
        return sum(
            1
            for r in self.records
            if (route is None or r.route == route)
            and (method is None or r.method == method)
            and (path is None or r.path == path)
        )

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()


# --- the server ------------------------------------------------------------------------------


@dataclass
class Response:
    """What to send back; ``action`` other than "send" misbehaves on the socket."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    action: Literal["send", "close", "reset", "partial"] = "send"
    route: Route | None = None
    fault: FaultKind | None = None


def _json_response(status: int, body: Any, route: Route | None = None) -> Response:
    headers = [("Content-Type", "application/json"), ("Vary", "Accept"), ("Allow", "GET")]
    return Response(status, dumps(body), headers if route else headers[:1], route=route)


@dataclass
class _Craft:
    """One spacecraft as upstream stores it, durations as of the fake's ``_as_of`` instant."""

    data: dict[str, Any]
    time_in_space: int
    time_docked: int


class FakeUpstream:
    """A fake LL2 2.2.0 docking-event API on 127.0.0.1 with scriptable data, clock and faults."""

    def __init__(
        self,
        events: Iterable[Event] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        now: datetime | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._host, self._port = host, port
        fixed = now or DEFAULT_NOW
        self._clock: Callable[[], datetime] = clock or (lambda: fixed)
        self.faults = FaultQueue()
        self.log = RequestLog()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._events: dict[int, Event] = {}
        self._rows: dict[int, Row] = {}
        self._crafts: dict[Any, _Craft] = {}
        self._as_of = self._now()
        self._load(generate_history() if events is None else events)

    # lifecycle

    def start(self) -> Self:
        """Listen and serve in a daemon thread."""
        self._stopping.clear()
        self._server = _Server((self._host, self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._server is None:
            raise RuntimeError("FakeUpstream is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/2.2.0`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}{API_ROOT}"

    @property
    def list_url(self) -> str:
        """The list endpoint's URL."""
        return f"{self.base_url}/docking_event/"

    # clock

    def _now(self) -> datetime:
        value = self._clock()
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def now(self) -> datetime:
        """The fake's current time."""
        return self._now()

    @now.setter
    def now(self, value: datetime) -> None:
        self._clock = lambda: value

    @property
    def clock(self) -> Callable[[], datetime]:
        """The injectable clock."""
        return self._clock

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:
        self._clock = value

    def advance(self, delta: timedelta) -> datetime:
        """Move a fixed clock forward by ``delta``; returns the new time."""
        self.now = self.now + delta
        return self.now

    # data

    @property
    def events(self) -> list[Event]:
        """Deep copies of the stored (detailed, upstream-URL) events, by id."""
        with self._lock:
            now, open_crafts = self._now(), self._open_crafts()
            return [
                copy.deepcopy(self._served(self._events[i], now, open_crafts))
                for i in sorted(self._events)
            ]

    def event(self, event_id: int) -> Event:
        """A deep copy of one stored event (KeyError when absent)."""
        with self._lock:
            served = self._served(self._events[event_id], self._now(), self._open_crafts())
            return copy.deepcopy(served)

    @property
    def ids(self) -> list[int]:
        """Stored ids, ascending."""
        with self._lock:
            return sorted(self._events)

    def add_event(self, event: Event) -> None:
        """Store a new (or replace an existing) detailed event; its spacecraft values become
        the current values of that spacecraft everywhere."""
        with self._lock:
            self._rebase()
            self._store(copy.deepcopy(event))

    def replace_events(self, events: Iterable[Event]) -> None:
        """Replace the whole data set."""
        with self._lock:
            self._load(events)

    def _load(self, events: Iterable[Event]) -> None:
        self._events, self._rows, self._crafts = {}, {}, {}
        self._as_of = self._now()
        copies = json.loads(json.dumps(list(events)))  # much faster than deepcopy
        for event in sorted(copies, key=lambda e: e["id"]):
            self._events[event["id"]] = event
            self._capture_craft(event)
        self._rows = {i: Row.of(self._canonical(e)) for i, e in self._events.items()}

    def delete_event(self, event_id: int) -> None:
        """Remove an event (KeyError when absent)."""
        with self._lock:
            self._rebase()
            del self._events[event_id]
            del self._rows[event_id]

    def set_departure(
        self, event_id: int, when: datetime | str | None, *, in_space: bool | None = None
    ) -> None:
        """Undock (or re-open with None); ``in_space`` optionally updates the spacecraft."""
        changes: dict[str, Any] = {"departure": when}
        if in_space is not None:
            changes["flight_vehicle.spacecraft.in_space"] = in_space
        self.update_event(event_id, changes)

    def update_event(
        self, event_id: int, changes: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> None:
        """Set values by dotted path (``{"docking_location.name": "X"}``) or top-level keyword;
        datetimes are written in upstream form. Spacecraft edits show on every event that
        embeds that spacecraft, as upstream serialises one spacecraft row."""
        with self._lock:
            self._rebase()
            event = copy.deepcopy(self._canonical(self._events[event_id]))
            for path, value in {**(changes or {}), **fields}.items():
                *parents, last = path.split(".")
                target = event
                for part in parents:
                    target = target[part]
                target[last] = format_datetime(value) if isinstance(value, datetime) else value
            self._store(event)

    def remove_field(self, event_id: int, path: str) -> None:
        """Delete the key at a dotted path from a stored event (or its spacecraft)."""
        with self._lock:
            self._rebase()
            event = copy.deepcopy(self._canonical(self._events[event_id]))
            *parents, last = path.split(".")
            del _dig(event, parents)[last]
            self._store(event)

    def _store(self, event: Event) -> None:
        self._events[event["id"]] = event
        craft_id = self._capture_craft(event)
        self._rows[event["id"]] = Row.of(self._canonical(event))
        if craft_id is not None:  # a renamed spacecraft changes what search sees elsewhere
            for row in list(self._rows.values()):
                if row.craft_id == craft_id:
                    self._rows[row.id] = Row.of(self._canonical(self._events[row.id]))

    def _capture_craft(self, event: Event) -> Any:
        """The event's spacecraft becomes that spacecraft's state as of ``_as_of``."""
        craft = _dig(event, ("flight_vehicle", "spacecraft"))
        if not isinstance(craft, dict) or "id" not in craft:
            return None
        self._crafts[craft["id"]] = _Craft(
            craft,  # stored events are private and only ever replaced, never edited in place
            parse_duration(craft.get("time_in_space")),
            parse_duration(craft.get("time_docked")),
        )
        return craft["id"]

    def _open_crafts(self) -> set[Any]:
        return {row.craft_id for row in self._rows.values() if row.departure is None}

    def _current(self, craft_id: Any, now: datetime, open_crafts: set[Any]) -> _Craft | None:
        state = self._crafts.get(craft_id)
        if state is None:
            return None
        elapsed = max(0, int((now - self._as_of).total_seconds()))
        return _Craft(
            state.data,
            state.time_in_space + (elapsed if state.data.get("in_space") else 0),
            state.time_docked + (elapsed if craft_id in open_crafts else 0),
        )

    def _rebase(self) -> None:
        """Fold the time elapsed so far into the spacecraft values before the state changes."""
        now, open_crafts = self._now(), self._open_crafts()
        for craft_id in list(self._crafts):
            state = self._current(craft_id, now, open_crafts)
            if state is not None:
                self._crafts[craft_id] = state
        self._as_of = now

    def _canonical(self, event: Event) -> Event:
        """``event`` with its spacecraft's values as of ``_as_of`` (shallow where unchanged)."""
        return self._served(event, self._as_of, set())

    def _served(self, event: Event, now: datetime, open_crafts: set[Any]) -> Event:
        """``event`` with its spacecraft's current shared values (shallow where unchanged)."""
        craft = _dig(event, ("flight_vehicle", "spacecraft"))
        state = self._current(_dig(craft, ("id",)), now, open_crafts)
        if state is None:
            return event
        event = {**event, "flight_vehicle": {**event["flight_vehicle"]}}
        event["flight_vehicle"]["spacecraft"] = {
            **state.data,
            "time_in_space": format_duration(state.time_in_space),
            "time_docked": format_duration(state.time_docked),
        }
        return event

    # request handling

    def respond(
        self, method: str, target: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        """The answer to one request, without faults or logging (usable without sockets)."""
        path, _, raw_query = target.partition("?")
        pairs = parse_query(raw_query)
        route, event_id = _route(path)
        if route is None:
            return _json_response(404, NOT_FOUND)
        params = last_values(pairs)
        fmt = params.get("format", "")
        # ``api`` is the browsable page; the fake answers it with the JSON that page shows.
        if fmt not in ("", "json", "api"):
            return _json_response(404, NOT_FOUND, route)
        if method != "GET":
            response = _json_response(405, {"detail": f'Method "{method}" not allowed.'}, route)
            return response
        # Any ``format`` parameter, even empty, is carried into every url.
        suffix = "?" + urlencode({"format": fmt}) if "format" in params else ""
        port = self.port if self._server is not None else self._port
        base = _request_base(headers or {}, self._host, port)
        with self._lock:
            try:
                if route == "detail":
                    return self._detail(event_id, pairs, base, suffix)
                return self._list(pairs, base, suffix)
            except QueryError as error:
                return _json_response(400, error.body, route)

    def _detail(self, event_id: str, pairs: Pairs, base: str, suffix: str) -> Response:
        # The list's filters and search apply: a bad value is a 400 whatever the id, and an
        # event they leave out is not found.
        params = last_values(pairs)
        checks = [*_filters(params), _search_check(params)]
        if not re.fullmatch(r"-?[0-9]+", event_id):
            return _json_response(404, NOT_FOUND, "detail")
        event = self._events.get(int(event_id))
        if event is None or not all(check(self._rows[event["id"]]) for check in checks):
            return _json_response(404, NO_EVENT, "detail")
        served = self._served(event, self._now(), self._open_crafts())
        url = f"{base}/docking_event/{event['id']}/"
        return _json_response(200, render_event(served, detailed=True, url=url, suffix=suffix),
                              "detail")  # fmt: skip

    def _list(self, pairs: Pairs, base: str, suffix: str) -> Response:
        page = select(self._rows.values(), pairs)
        detailed = last_values(pairs).get("mode") == "detailed"
        now, open_crafts = self._now(), self._open_crafts()
        results = [
            render_event(
                self._served(self._events[row.id], now, open_crafts),
                detailed=detailed,
                url=f"{base}/docking_event/{row.id}/",
                suffix=suffix,
            )
            for row in page.rows
        ]
        following, previous = page_links(f"{base}/docking_event/", pairs, page)
        body = {"count": page.count, "next": following, "previous": previous, "results": results}
        return _json_response(200, body, "list")

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """``respond`` plus the next queued fault for the route."""
        route, _ = _route(target.partition("?")[0])
        fault = self.faults.take(route) if route else None
        if fault is None:
            return self.respond(method, target, headers)
        return _apply_fault(fault, lambda: self.respond(method, target, headers), route)

    # request log helpers

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen since the last ``clear_log``."""
        return self.log.records

    @property
    def last_request(self) -> RequestRecord | None:
        """The most recent request, if any."""
        records = self.log.records
        return records[-1] if records else None

    def request_count(
        self, route: Route | None = None, *, method: str | None = None, path: str | None = None
    ) -> int:
        """How many requests were seen (optionally by route, method or path)."""
        return self.log.count(route, method=method, path=path)

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        self.log.clear()

    def inject(self, fault: Fault) -> Fault:
        """Queue a fault (same as ``faults.add``)."""
        return self.faults.add(fault)


def _route(path: str) -> tuple[Route | None, str]:
    if path == LIST_PATH:
        return "list", ""
    match = _DETAIL_RE.match(path)
    if match:
        return "detail", unquote(match.group(1))
    return None, ""


def _request_base(headers: Mapping[str, str], host: str, port: int) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    scheme = lowered.get("x-forwarded-proto", "http")
    return f"{scheme}://{lowered.get('host', f'{host}:{port}')}{API_ROOT}"


def _apply_fault(fault: Fault, answer: Callable[[], Response], route: Route) -> Response:
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
    if fault.kind in ("extra_field", "missing_field"):
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fake: FakeUpstream):
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up are normal here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake keeps its own request log."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method, known or not, goes through one handler
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        self._drain_body()
        fake = self.server.fake
        method = self.command.upper()
        headers = dict(self.headers.items())
        response = fake.handle(method, self.path, headers)
        if response.delay:
            fake._stopping.wait(response.delay)
        path, _, raw_query = self.path.partition("?")
        fake.log.append(
            RequestRecord(
                method=method,
                path=path,
                query=tuple(parse_query(raw_query)),
                headers=headers,
                status=None if response.action in ("close", "reset") else response.status,
                at=fake.now,
                route=response.route,
                fault=response.fault,
            )
        )
        self._send(method, response)

    def _drain_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
        elif self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _send(self, method: str, response: Response) -> None:
        if response.action in ("close", "reset"):
            self.close_connection = True
            if response.action == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.close()
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method == "HEAD":
            return
        if response.action == "partial":
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(response.body)


def main(argv: list[str] | None = None) -> None:
    """Serve generated history until Ctrl-C (the offline demo)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--events", type=int, default=650)
    parser.add_argument("--open", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    events = generate_history(args.events, args.open, args.seed, now=now)
    fake = FakeUpstream(events, host=args.host, port=args.port, clock=lambda: datetime.now(UTC))
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    with fake:
        print(f"fake LL2 serving {len(events)} docking events at {fake.base_url}", flush=True)
        while not done.wait(0.5):
            pass
    print("stopped", flush=True)


def iter_pages(fake: FakeUpstream, query: str = "") -> Iterator[dict[str, Any]]:
    """Walk the list through ``respond`` (no sockets), following ``next`` links."""
    target: str | None = f"{LIST_PATH}?{query}"
    while target:
        body = json.loads(fake.respond("GET", target).body)
        yield body
        following = body["next"]
        target = following[following.index(API_ROOT) :] if following else None


if __name__ == "__main__":
    main()
