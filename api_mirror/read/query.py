"""The one query engine: upstream's docking-event list and detail, answered from a snapshot.

The HTTP routes and Python callers answer from the same code: ``select_page`` (filters, search,
ordering, paging) and ``find_event`` (the detail route's lookup among the filtered events) over
a ``Snapshot`` (``api_mirror.read.snapshot``), the events' keys at one data version. Upstream's
rules, on SQLite and PostgreSQL alike, since no SQL is involved: an id filter matches equal ids (a
value that cannot be an id matches nothing), ``docking__gt/gte/lt/lte`` compare instants exactly,
each search term must be a case-insensitive substring (``str.lower``) of the station's, the
spacecraft's or the location's name (a term of any length, wildcards literal), the ordering terms
apply in turn with still-docked events last ascending and first descending, ``id`` last.

Offline, with only a session (no HTTP server, no Redis)::

    with Session(engine) as session:
        page = query_events(session, {"space_station__id": "4", "ordering": "-docking"})
        body = serialize_events(page.graphs, mode="normal", links=LinkStyle(base), now=now)

``query_events`` reads the snapshot and the page's graphs in one consistent read of the session
(on PostgreSQL, give it a session whose transaction has not begun). A request upstream would
reject raises ``QueryError(status, body)`` carrying upstream's body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlmodel import Session

from api_mirror.drf.params import ListParams, Params, QueryError, parse_list_params
from api_mirror.read.snapshot import Entry, Snapshot, load_snapshot
from models.ll2.graph import EventGraph, load_graphs
from models.store.db import session_snapshot
from models.store.read_model import epoch_micros
from models.support.limits import BIGINT_MAX

_DIGITS = re.compile(r"-?[0-9]+")
NO_SUCH_EVENT = {"detail": "No DockingEvent matches the given query."}
# Every accepted filter name maps to an entry field here; user input never names a field.
ID_FIELDS = {
    "space_station__id": "station_id",
    "flight_vehicle__id": "flight_id",
    "docking_location__id": "location_id",
}
_ORDER_KEYS: dict[str, Callable[[Entry], Any]] = {
    "id": attrgetter("id"),
    "docking": attrgetter("docking"),
    # NULL departures (still docked) sort as the largest value: last ascending, first descending.
    "departure": lambda entry: (entry.departure is None, entry.departure or 0),
}


@dataclass(frozen=True, slots=True)
class Selection:
    """One list page: ``count`` matches in all, ``entries`` the page's from ``offset`` on."""

    count: int
    limit: int
    offset: int
    entries: list[Entry]
    detailed: bool


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One page of a list request: ``count`` matches in all, ``graphs`` from ``offset`` on."""

    count: int
    limit: int
    offset: int
    graphs: list[EventGraph]
    detailed: bool


def _predicate(snapshot: Snapshot, request: ListParams) -> Callable[[Entry], bool] | None:
    """What the filters and the search keep, or None when they keep everything."""
    checks: list[Callable[[Entry], bool]] = []
    for name, ident in request.ids.items():
        if ident is None:
            return lambda _: False
        field = attrgetter(ID_FIELDS[name])
        checks.append(lambda entry, f=field, i=ident: f(entry) == i)  # type: ignore[misc]
    for comparison, moment in request.docking.items():
        bound = epoch_micros(moment)
        checks.append(
            {
                "gt": lambda entry, b=bound: entry.docking > b,
                "gte": lambda entry, b=bound: entry.docking >= b,
                "lt": lambda entry, b=bound: entry.docking < b,
                "lte": lambda entry, b=bound: entry.docking <= b,
            }[comparison]
        )
    if request.search:
        terms = [term.lower() for term in request.search]
        stations, locations = snapshot.station_names, snapshot.location_names

        def searched(entry: Entry) -> bool:
            names = [
                name
                for name in (
                    None if entry.station_id is None else stations.get(entry.station_id),
                    entry.craft_name,
                    None if entry.location_id is None else locations.get(entry.location_id),
                )
                if name is not None
            ]
            return all(any(term in name for name in names) for term in terms)

        checks.append(searched)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda entry: all(check(entry) for check in checks)


def _ordered(snapshot: Snapshot, terms: tuple[str, ...]) -> list[Entry]:
    def compute() -> list[Entry]:
        rows = snapshot.by_id
        # Stable sorts from the last term to the first: earlier terms decide, id breaks ties.
        for term in reversed(terms):
            rows = sorted(rows, key=_ORDER_KEYS[term.removeprefix("-")], reverse=term[0] == "-")
        return rows

    if not terms:
        return snapshot.by_id
    return snapshot.cached(("order", terms), compute)


def _matches(snapshot: Snapshot, request: ListParams) -> list[Entry]:
    ordered = _ordered(snapshot, tuple(request.ordering))
    predicate = _predicate(snapshot, request)
    if predicate is None:
        return ordered
    key = (
        "select",
        tuple(request.ordering),
        tuple(request.ids.items()),
        tuple(request.docking.items()),
        tuple(request.search),
    )
    return snapshot.cached(key, lambda: [entry for entry in ordered if predicate(entry)])


def select_page(snapshot: Snapshot, request: ListParams) -> Selection:
    """The list page a validated request asks for."""
    matches = _matches(snapshot, request)
    start = min(request.offset, len(matches))
    return Selection(
        count=len(matches),
        limit=request.limit,
        offset=request.offset,
        entries=matches[start : start + request.limit],
        detailed=request.detailed,
    )


def find_event(snapshot: Snapshot, ident: str, request: ListParams) -> Entry:
    """The detail route's event for a path segment, among the events the filters keep.

    DRF's ``get_object`` looks the event up in the queryset the view's filter backends return:
    a segment that is not an integer raises QueryError(404, ``Not found.``), an event that does
    not exist or that the filters leave out QueryError(404, NO_SUCH_EVENT). (A bad filter value
    is a 400 before that: ``parse_list_params`` raises it.)
    """
    if not _DIGITS.fullmatch(ident):
        raise QueryError(404, {"detail": "Not found."})
    number = _event_id(ident)
    entry = None if number is None else snapshot.entries.get(number)
    predicate = _predicate(snapshot, request)
    if entry is None or (predicate is not None and not predicate(entry)):
        raise QueryError(404, NO_SUCH_EVENT)
    return entry


def _event_id(ident: str) -> int | None:
    """The id a path segment names, or None when no stored id can be it."""
    # Beyond 19 digits no id can match (and int() would refuse 4300 of them).
    if not _DIGITS.fullmatch(ident) or len(ident.lstrip("-").lstrip("0")) > 19:
        return None
    number = int(ident)
    return number if abs(number) <= BIGINT_MAX else None


def query_events(session: Session, params: Params) -> QueryPage:
    """The page upstream would serve for these list parameters; raises QueryError for a 400.

    Reads every event's keys (a snapshot) and the page's graphs in one consistent read.
    """
    request = parse_list_params(params)
    snapshot = load_snapshot(session_snapshot(session), with_bodies=False)
    selection = select_page(snapshot, request)
    return QueryPage(
        count=selection.count,
        limit=selection.limit,
        offset=selection.offset,
        graphs=load_graphs(session, [entry.id for entry in selection.entries]),
        detailed=selection.detailed,
    )


def get_event(session: Session, ident: str, params: Params = ()) -> EventGraph:
    """The detail route's event for a path segment and the request's query parameters.

    Raises QueryError: 400 for a bad filter or search value (whatever the segment), then as
    ``find_event``. Paging, ordering and mode do not matter. Reads only that event's keys.
    """
    request = parse_list_params(params)
    number = _event_id(ident)
    snapshot = load_snapshot(
        session_snapshot(session), only=[] if number is None else [number], with_bodies=False
    )
    entry = find_event(snapshot, ident, request)
    graphs = load_graphs(session, [entry.id])
    if not graphs:
        raise QueryError(404, NO_SUCH_EVENT)
    return graphs[0]
