"""query_events: filters, search, ordering and paging as upstream, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from api_mirror.drf.params import QueryError
from api_mirror.read.query import get_event, query_events
from tests.api_mirror.conftest import StatementCounter
from tests.api_mirror.dataset import make_events, store

EVENTS = make_events(60, seed=7)


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _expected_order(terms: list[str]) -> list[int]:
    """A plain-Python reading of the ordering rules (PostgreSQL NULL placement, id last)."""
    rows = sorted(EVENTS, key=lambda e: e["id"])
    for term in reversed(terms):
        name = term.removeprefix("-")
        descending = term.startswith("-")
        present = [e for e in rows if (e[name] if name == "id" else _when(e[name])) is not None]
        missing = [e for e in rows if e not in present]
        present.sort(
            key=lambda e, n=name: e[n] if n == "id" else _when(e[n]),  # type: ignore[misc]
            reverse=descending,
        )
        # sort() is stable: equal keys keep the order of the later terms (and of id).
        rows = missing + present if descending else present + missing
    return [e["id"] for e in rows]


@pytest.fixture
def stored(session: Session) -> Session:
    store(session, EVENTS)
    return session


def _ids(session: Session, params: Any) -> list[int]:
    return [graph.event.id for graph in query_events(session, params).graphs]


@pytest.mark.parametrize(
    ("ordering", "terms"),
    [
        (None, []),
        ("id", ["id"]),
        ("-id", ["-id"]),
        ("docking", ["docking"]),
        ("-docking", ["-docking"]),
        ("departure", ["departure"]),
        ("-departure", ["-departure"]),
        ("departure,-docking", ["departure", "-docking"]),
        ("-departure,docking", ["-departure", "docking"]),
        (" -docking , foo,--id,DOCKING", ["-docking"]),
        ("nonsense", []),
    ],
)
def test_every_ordering_gives_the_reference_ids_on_each_database(
    stored: Session, ordering: str | None, terms: list[str]
) -> None:
    params = {"limit": "100"} | ({} if ordering is None else {"ordering": ordering})
    assert _ids(stored, params) == _expected_order(terms)


def test_still_docked_events_come_first_descending_in_rising_id_order(stored: Session) -> None:
    ids = _ids(stored, {"ordering": "-departure", "limit": "100"})
    open_ids = sorted(e["id"] for e in EVENTS if e["departure"] is None)
    assert ids[: len(open_ids)] == open_ids


def test_id_filters_accept_decimals_cut_toward_zero(stored: Session) -> None:
    every = query_events(stored, {"space_station__id": "4"}).count
    assert every == sum(e["space_station"]["id"] == 4 for e in EVENTS)
    for value in ("4.0", "4.9", " 4 ", "4e0", "+4"):
        assert query_events(stored, {"space_station__id": value}).count == every
    assert query_events(stored, {"space_station__id": ".5"}).count == 0


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "1e50", "-1e400", "-1e51", "-1e999999999", "-4"]
)
def test_id_filter_out_of_reach_matches_nothing(stored: Session, value: str) -> None:
    assert query_events(stored, {"docking_location__id": value}).count == 0


@pytest.mark.parametrize(
    "value",
    # The float 1e50 is 100000000000000007629769841091887003294964970946560 exactly.
    [
        "1e51",
        "1e400",
        "1e999999999",
        " 2E+50 ",
        "100000000000000007629769841091887003294964970946561",
    ],
)
def test_id_filter_above_1e50_is_a_400_as_django_filter_number_filter(
    stored: Session, value: str
) -> None:
    with pytest.raises(QueryError) as caught:
        query_events(stored, [("flight_vehicle__id", value), ("space_station__id", "x")])
    assert (caught.value.status, caught.value.body) == (
        400,
        {
            "space_station__id": ["Enter a number."],
            "flight_vehicle__id": ["Ensure this value is less than or equal to 1e+50."],
        },
    )


def test_empty_filter_value_is_ignored(stored: Session) -> None:
    page = query_events(stored, {"space_station__id": "", "docking__gte": ""})
    assert page.count == len(EVENTS)


def test_bad_filter_values_give_one_400_body_keyed_by_parameter(stored: Session) -> None:
    with pytest.raises(QueryError) as caught:
        query_events(
            stored,
            [
                ("space_station__id", "abc"),
                ("docking__lt", "yesterday"),
                ("flight_vehicle__id", "NaN"),
            ],
        )
    assert caught.value.status == 400
    assert caught.value.body == {
        "space_station__id": ["Enter a number."],
        "flight_vehicle__id": ["Enter a number."],
        "docking__lt": ["Enter a valid date/time."],
    }


def test_last_value_of_a_repeated_parameter_counts(stored: Session) -> None:
    page = query_events(stored, [("space_station__id", "abc"), ("space_station__id", "18")])
    assert page.count == sum(e["space_station"]["id"] == 18 for e in EVENTS)


@pytest.mark.parametrize(
    "value",
    [
        "2010-01-01",
        "2010-01-01T00:00",
        "2010-01-01 00:00:00",
        "2010-01-01T00:00:00Z",
        "2010-01-01T02:00:00+02:00",
        "2010-01-01T00:00:00.000000",
        "01/01/2010",
        "Jan 01 2010",
    ],
)
def test_docking_filters_accept_django_datetime_forms(stored: Session, value: str) -> None:
    boundary = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
    expected = sum(_when(e["docking"]) >= boundary for e in EVENTS)  # type: ignore[operator]
    assert query_events(stored, {"docking__gte": value}).count == expected


def test_docking_comparisons_are_strict_or_inclusive(stored: Session) -> None:
    moment = EVENTS[3]["docking"]
    at = _when(moment)
    counts = {
        name: query_events(stored, {name: moment}).count
        for name in ("docking__gt", "docking__gte", "docking__lt", "docking__lte")
    }
    dockings = [_when(e["docking"]) for e in EVENTS]
    assert counts == {
        "docking__gt": sum(d > at for d in dockings),  # type: ignore[operator]
        "docking__gte": sum(d >= at for d in dockings),  # type: ignore[operator]
        "docking__lt": sum(d < at for d in dockings),  # type: ignore[operator]
        "docking__lte": sum(d <= at for d in dockings),  # type: ignore[operator]
    }


@pytest.mark.parametrize("value", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00"])
def test_datetimes_at_the_edge_of_the_calendar_do_not_fail(stored: Session, value: str) -> None:
    assert query_events(stored, {"docking__gt": value}).count in (0, len(EVENTS))


def _searched(term: str) -> set[int]:
    def names(e: dict[str, Any]) -> list[str]:
        return [
            e["space_station"]["name"],
            e["flight_vehicle"]["spacecraft"]["name"],
            e["docking_location"]["name"],
        ]

    return {e["id"] for e in EVENTS if any(term.lower() in n.lower() for n in names(e))}


@pytest.mark.parametrize("term", ["aft", "TIANGONG", "50%", "%_", "_off", "\\", "éclair", "ß"])
def test_search_is_a_case_insensitive_substring_with_literal_wildcards(
    stored: Session, term: str
) -> None:
    page = query_events(stored, {"search": term, "limit": "100"})
    assert {graph.event.id for graph in page.graphs} == _searched(term)
    assert page.count == len(_searched(term))


def test_every_search_term_must_match_and_quotes_keep_a_phrase(stored: Session) -> None:
    both = _searched("aft") & _searched("tianzhou")
    assert query_events(stored, {"search": "aft tianzhou"}).count == len(both)
    assert query_events(stored, {"search": "aft,tianzhou"}).count == len(both)
    assert query_events(stored, {"search": '"zvezda aft"'}).count == len(_searched("zvezda aft"))
    assert query_events(stored, {"search": '"NG-21"'}).count == len(_searched('"NG-21"'[1:-1]))


@pytest.mark.parametrize("term", ["a" * 49_999, "%" * 25_000])
def test_a_search_term_of_any_length_matches_nothing_on_each_database(
    stored: Session, term: str
) -> None:
    page = query_events(stored, {"search": term})
    assert (page.count, page.graphs) == (0, [])


def test_a_long_search_term_still_matches_a_name_holding_it(stored: Session) -> None:
    name = EVENTS[0]["space_station"]["name"]
    page = query_events(stored, {"search": f'"{name}"', "limit": "100"})
    assert page.count == len(_searched(name)) > 0


def test_null_character_in_search_is_a_400_with_a_list_body(stored: Session) -> None:
    with pytest.raises(QueryError) as caught:
        query_events(stored, {"search": "a\x00b"})
    assert (caught.value.status, caught.value.body) == (400, ["Null characters are not allowed."])


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (None, None, (10, 0)),
        ("5", "3", (5, 3)),
        ("0", "-2", (10, 0)),
        ("-5", "x", (10, 0)),
        ("5.0", "2.0", (10, 0)),
        ("1000", "0", (100, 0)),
        ("", "", (10, 0)),
    ],
)
def test_limit_and_offset_fall_back_instead_of_failing(
    stored: Session, limit: str | None, offset: str | None, expected: tuple[int, int]
) -> None:
    params = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
    page = query_events(stored, params)
    assert (page.limit, page.offset) == expected
    assert [g.event.id for g in page.graphs] == list(range(1, 61))[expected[1] :][: expected[0]]


def test_offset_past_the_end_gives_an_empty_page_with_the_count(stored: Session) -> None:
    page = query_events(stored, {"offset": "9" * 40})
    assert (page.count, page.graphs) == (len(EVENTS), [])


def test_statement_count_is_the_same_for_any_page_size(
    stored: Session, statements: StatementCounter
) -> None:
    counts = []
    for limit in ("1", "10", "100"):
        stored.expunge_all()
        statements.reset()
        query_events(stored, {"limit": limit, "search": "a", "ordering": "-departure"})
        counts.append(statements.count)
    assert len(set(counts)) == 1


def test_detail_lookup_distinguishes_unknown_ids_from_non_integers(stored: Session) -> None:
    assert get_event(stored, "7").event.id == 7
    for ident, message in [
        ("999", "No DockingEvent matches the given query."),
        ("-1", "No DockingEvent matches the given query."),
        ("9" * 5000, "No DockingEvent matches the given query."),
        ("abc", "Not found."),
        ("615abc", "Not found."),
        ("+7", "Not found."),
    ]:
        with pytest.raises(QueryError) as caught:
            get_event(stored, ident)
        assert (caught.value.status, caught.value.body) == (404, {"detail": message})


def test_detail_lookup_applies_the_list_filters_and_search(stored: Session) -> None:
    event = EVENTS[6]
    station = event["space_station"]["id"]
    kept = {"space_station__id": str(station), "search": event["docking_location"]["name"]}
    assert get_event(stored, str(event["id"]), kept).event.id == event["id"]
    other = next(e["space_station"]["id"] for e in EVENTS if e["space_station"]["id"] != station)
    for params in (
        {"space_station__id": str(other)},
        {"docking__gt": event["docking"]},
        {"search": "no such name anywhere"},
        {"flight_vehicle__id": "-1e51"},
    ):
        with pytest.raises(QueryError) as caught:
            get_event(stored, str(event["id"]), params)
        assert (caught.value.status, caught.value.body) == (
            404,
            {"detail": "No DockingEvent matches the given query."},
        )


def test_detail_lookup_validates_the_filters_before_the_segment(stored: Session) -> None:
    for ident in ("7", "abc", "999"):
        with pytest.raises(QueryError) as caught:
            get_event(stored, ident, [("docking__lt", "soon"), ("limit", "x")])
        assert (caught.value.status, caught.value.body) == (
            400,
            {"docking__lt": ["Enter a valid date/time."]},
        )
