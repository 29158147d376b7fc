"""The list endpoint's query rules, as upstream applies them: filters, search, ordering, paging.

Written as plain Python over the events, independently of the mirror's own query layer, so the
fake doubles as a reference implementation. A query string becomes (name, value) pairs, the last
value of a name counts, an empty filter is ignored, bad filter values give one 400 body naming
each bad parameter, unknown ordering terms are dropped (default ``id``), ``limit`` is clamped to
1..100 (default 10), and ``next``/``previous`` links carry the other parameters sorted by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fake_upstream.values import Event, dig, parse_datetime

Pairs = list[tuple[str, str]]

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
            dig(event, ("space_station", "name")),
            dig(flight, ("spacecraft", "name")),
            dig(event, ("docking_location", "name")),
        )
        departure = event.get("departure")
        return cls(
            id=event["id"],
            station_id=dig(event, ("space_station", "id")),
            flight_id=flight.get("id"),
            location_id=dig(event, ("docking_location", "id")),
            craft_id=dig(flight, ("spacecraft", "id")),
            docking=parse_datetime(event["docking"]),
            departure=parse_datetime(departure) if departure else None,
            haystacks=tuple(n.lower() for n in names if isinstance(n, str)),
        )


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
    """Cut ``search`` into terms as upstream's framework does: quoted phrases, commas split."""
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
        checks.append(_id_check(attr, wanted))
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


def _id_check(attr: str, wanted: int | object) -> Callable[[Row], bool]:
    return lambda row: wanted is not _NO_MATCH and bool(getattr(row, attr) == wanted)


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


def row_checks(params: Mapping[str, str]) -> list[Callable[[Row], bool]]:
    """The filters and the search of a request as row predicates; raises QueryError (400)."""
    return [*_filters(params), _search_check(params)]


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
