"""The offline query API: upstream's docking-event list and detail over the local tables.

``query_events(session, params)`` takes upstream-style query parameters (pairs or a mapping,
exactly as they would appear in the URL) and returns the page upstream would serve: the total
``count`` and the event graphs of the requested slice, ready for ``serialize_events``. It needs
no HTTP server and no Redis, only a session::

    with Session(engine) as session:
        page = query_events(session, {"space_station__id": "4", "ordering": "-docking"})
        body = serialize_events(page.graphs, mode="normal", links=LinkStyle(base), now=now)

A request upstream would reject raises ``QueryError(status, body)`` carrying upstream's body.
The same results come back on SQLite and PostgreSQL: NULL placement and case folding are
spelled out rather than left to the database. A page costs a fixed number of statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text
from sqlmodel import Session, col

from api_mirror.params import ListParams, Params, QueryError, parse_list_params
from models.ll2.graph import EventGraph, load_graphs
from models.tables import DockingEvent, DockingLocation, Spacecraft, SpacecraftFlight, SpaceStation

_ID_MAX = 2**63 - 1
_DIGITS = re.compile(r"-?[0-9]+")
NO_SUCH_EVENT = {"detail": "No DockingEvent matches the given query."}

# Every accepted name maps to a column here; user input never names a column directly.
ID_COLUMNS: dict[str, Any] = {
    "space_station__id": col(DockingEvent.space_station_id),
    "flight_vehicle__id": col(DockingEvent.flight_vehicle_id),
    "docking_location__id": col(DockingEvent.docking_location_id),
}
ORDER_COLUMNS: dict[str, Any] = {
    "id": col(DockingEvent.id),
    "docking": col(DockingEvent.docking),
    "departure": col(DockingEvent.departure),
}
_SEARCH_STATION = aliased(SpaceStation)
_SEARCH_FLIGHT = aliased(SpacecraftFlight)
_SEARCH_CRAFT = aliased(Spacecraft)
_SEARCH_LOCATION = aliased(DockingLocation)
SEARCH_COLUMNS: tuple[Any, ...] = (
    _SEARCH_STATION.name,
    _SEARCH_CRAFT.name,
    _SEARCH_LOCATION.name,
)


class fold(FunctionElement[str]):
    """Lower-casing that agrees on both databases (SQLite's own lower() is ASCII-only)."""

    type = Text()
    name = "fold"
    inherit_cache = True


@compiles(fold)
def _fold_default(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"dockwatch_lower({compiler.process(element.clauses, **kw)})"


def _python_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _prepare_connection(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Per connection, not per engine: callers may bring an engine we did not build.
        driver: Any = connection.connection.driver_connection
        driver.create_function("dockwatch_lower", 1, _python_lower, deterministic=True)


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One page of a list request: ``count`` matches in all, ``graphs`` from ``offset`` on."""

    count: int
    limit: int
    offset: int
    graphs: list[EventGraph]
    detailed: bool


@dataclass(frozen=True, slots=True)
class IdPage:
    """A list page before its events are loaded: ``ids`` in the page's order."""

    count: int
    limit: int
    offset: int
    ids: list[int]
    detailed: bool


def _like_pattern(term: str) -> str:
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _conditions(params: ListParams) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name, ident in params.ids.items():
        conditions.append(false() if ident is None else ID_COLUMNS[name] == ident)
    docking = col(DockingEvent.docking)
    comparisons = {"gt": docking.__gt__, "gte": docking.__ge__, "lt": docking.__lt__}
    comparisons["lte"] = docking.__le__
    for comparison, moment in params.docking.items():
        conditions.append(comparisons[comparison](moment))
    for term in params.search:
        pattern = fold(literal(_like_pattern(term), Text()))
        conditions.append(or_(*(fold(c).like(pattern, escape="/") for c in SEARCH_COLUMNS)))
    return conditions


def _filtered(statement: Select[Any], params: ListParams) -> Select[Any]:
    if params.search:
        event = DockingEvent
        statement = (
            statement.outerjoin(
                _SEARCH_STATION, col(_SEARCH_STATION.id) == col(event.space_station_id)
            )
            .outerjoin(_SEARCH_FLIGHT, col(_SEARCH_FLIGHT.id) == col(event.flight_vehicle_id))
            .outerjoin(_SEARCH_CRAFT, col(_SEARCH_CRAFT.id) == col(_SEARCH_FLIGHT.spacecraft_id))
            .outerjoin(_SEARCH_LOCATION, col(_SEARCH_LOCATION.id) == col(event.docking_location_id))
        )
    return statement.where(*_conditions(params))


def order_by(terms: list[str]) -> list[Any]:
    """ORDER BY clauses: the accepted terms, NULL departures as PostgreSQL puts them, then id."""
    clauses = []
    for term in terms:
        descending = term.startswith("-")
        column = ORDER_COLUMNS[term.removeprefix("-")]
        clause = column.desc() if descending else column.asc()
        if term.removeprefix("-") == "departure":
            clause = clause.nulls_first() if descending else clause.nulls_last()
        clauses.append(clause)
    clauses.append(col(DockingEvent.id).asc())
    return clauses


def query_event_ids(session: Session, params: Params) -> IdPage:
    """Like ``query_events`` but stops at the page's ids (two statements)."""
    request = parse_list_params(params)
    _prepare_connection(session)
    count = session.execute(
        _filtered(select(func.count()).select_from(DockingEvent), request)
    ).scalar_one()
    ids: list[int] = []
    # Past the end there is nothing to fetch (and a huge offset would overflow the database).
    if request.offset < count:
        page = (
            _filtered(select(col(DockingEvent.id)), request)
            .order_by(*order_by(request.ordering))
            .limit(request.limit)
            .offset(request.offset)
        )
        ids = list(session.scalars(page))
    return IdPage(
        count=int(count),
        limit=request.limit,
        offset=request.offset,
        ids=ids,
        detailed=request.detailed,
    )


def query_events(session: Session, params: Params) -> QueryPage:
    """The page upstream would serve for these list parameters; raises QueryError for a 400."""
    page = query_event_ids(session, params)
    return QueryPage(
        count=page.count,
        limit=page.limit,
        offset=page.offset,
        graphs=load_graphs(session, page.ids),
        detailed=page.detailed,
    )


def _filtered_out(session: Session, ident: int, request: ListParams) -> bool:
    """Whether the list's filters and search leave the event ``ident`` out (one statement)."""
    if not (request.ids or request.docking or request.search):
        return False
    _prepare_connection(session)
    matching = _filtered(select(col(DockingEvent.id)), request)
    return session.scalars(matching.where(col(DockingEvent.id) == ident)).first() is None


def get_event(session: Session, ident: str, params: Params = ()) -> EventGraph:
    """The detail route's event for a path segment and the request's query parameters.

    DRF's ``get_object`` looks the event up in the queryset the view's filter backends return,
    so the list's filters and search apply here too, in this order: a bad filter or search value
    raises QueryError(400) with the list's body (whatever the segment), then a segment that is
    not an integer QueryError(404, ``Not found.``), then an event that does not exist or that the
    filters leave out QueryError(404, NO_SUCH_EVENT). Paging, ordering and mode do not matter.
    """
    request = parse_list_params(params)
    if not _DIGITS.fullmatch(ident):
        raise QueryError(404, {"detail": "Not found."})
    # Beyond 19 digits no id can match (and int() would refuse 4300 of them).
    in_range = len(ident.lstrip("-").lstrip("0")) <= 19 and abs(int(ident)) <= _ID_MAX
    if in_range and _filtered_out(session, int(ident), request):
        in_range = False
    graphs = load_graphs(session, [int(ident)]) if in_range else []
    if not graphs:
        raise QueryError(404, NO_SUCH_EVENT)
    return graphs[0]
