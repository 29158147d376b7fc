"""Turn an upstream-style query string into the list request it describes, or a 400/404 body.

The rules are upstream's (DRF + django-filter): a repeated parameter counts by its last value,
unknown parameters and ordering terms are ignored, ``limit``/``offset`` fall back instead of
failing, bad filter values give django-filter's 400 body keyed by parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from api_mirror.drf.values import (
    NUMBER_CEILING_MESSAGE,
    AboveCeiling,
    InvalidValue,
    parse_datetime,
    parse_id,
    positive_int,
    search_terms,
)

Pairs = list[tuple[str, str]]
Params = Sequence[tuple[str, str]] | Mapping[str, str]
Comparison = Literal["gt", "gte", "lt", "lte"]

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
ID_FILTERS = ("space_station__id", "flight_vehicle__id", "docking_location__id")
DOCKING_FILTERS: dict[str, Comparison] = {
    "docking__gt": "gt",
    "docking__gte": "gte",
    "docking__lt": "lt",
    "docking__lte": "lte",
}
ORDERING_FIELDS = frozenset({"id", "docking", "departure"})
NOT_FOUND: dict[str, str] = {"detail": "Not found."}


class QueryError(Exception):
    """A request upstream answers with an error: the status and the JSON body it sends."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class ListParams:
    """A validated list request.

    ``ids`` maps an id filter to its value, or to ``None`` when the value cannot match any row;
    ``ordering`` holds the accepted terms (``docking``, ``-departure``, …) in request order.
    """

    ids: dict[str, int | None]
    docking: dict[Comparison, dt.datetime]
    search: list[str]
    ordering: list[str]
    limit: int
    offset: int
    detailed: bool


def parse_query_string(raw: bytes | str) -> Pairs:
    """Name/value pairs as Django reads them (``&`` only, ``+`` is a space, ``?z`` is ``z=``)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")


def as_pairs(params: Params) -> Pairs:
    """Pairs from either a pair sequence or a plain mapping."""
    items: Iterable[tuple[str, str]] = params.items() if isinstance(params, Mapping) else params
    return [(str(name), str(value)) for name, value in items]


def last_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each name's last value: what the framework's ``query_params.get`` returns."""
    return dict(pairs)


def _ordering(value: str | None) -> list[str]:
    if not value:
        return []
    terms = [term.strip() for term in value.split(",")]
    return [term for term in terms if term.removeprefix("-") in ORDERING_FIELDS]


def parse_list_params(params: Params) -> ListParams:
    """Validate a list request's parameters; raises QueryError(400, body) as upstream would."""
    values = last_values(as_pairs(params))
    errors: dict[str, list[str]] = {}
    ids: dict[str, int | None] = {}
    for name in ID_FILTERS:
        raw = values.get(name, "")
        if raw == "":
            continue
        try:
            ids[name] = parse_id(raw)
        except AboveCeiling:
            errors[name] = [NUMBER_CEILING_MESSAGE]
        except InvalidValue:
            errors[name] = ["Enter a number."]
    docking: dict[Comparison, dt.datetime] = {}
    for name, comparison in DOCKING_FILTERS.items():
        raw = values.get(name, "")
        if raw == "":
            continue
        try:
            docking[comparison] = parse_datetime(raw)
        except InvalidValue:
            errors[name] = ["Enter a valid date/time."]
    if errors:
        raise QueryError(400, errors)
    search = values.get("search", "")
    if "\x00" in search:
        raise QueryError(400, ["Null characters are not allowed."])
    limit = positive_int(values.get("limit"), strict=True, cutoff=MAX_LIMIT)
    offset = positive_int(values.get("offset"), strict=False)
    return ListParams(
        ids=ids,
        docking=docking,
        search=search_terms(search),
        ordering=_ordering(values.get("ordering")),
        limit=DEFAULT_LIMIT if limit is None else limit,
        offset=0 if offset is None else offset,
        detailed=values.get("mode") == "detailed",
    )
