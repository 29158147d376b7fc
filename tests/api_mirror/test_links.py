"""next/previous links: sorted, form-encoded parameters, limit always written."""

from __future__ import annotations

from api_mirror.drf.pagination import next_link, previous_link
from api_mirror.drf.params import parse_query_string

PAGE = "https://mirror.test/2.2.0/docking_event/"


def test_parameters_are_sorted_by_code_point_and_repeated_names_keep_every_value() -> None:
    pairs = parse_query_string("search=b&UNKNOWN=1&format=json&search=a&z")
    assert next_link(PAGE, pairs, count=50, limit=10, offset=0) == (
        PAGE + "?UNKNOWN=1&format=json&limit=10&offset=10&search=b&search=a&z="
    )


def test_values_are_form_encoded_with_upper_case_hex() -> None:
    pairs = parse_query_string("docking__gte=2020-01-01T00:00%2B02:00&search=a b,c~_.-é/")
    assert next_link(PAGE, pairs, count=50, limit=10, offset=0) == (
        PAGE + "?docking__gte=2020-01-01T00%3A00%2B02%3A00&limit=10&offset=10"
        "&search=a+b%2Cc~_.-%C3%A9%2F"
    )


def test_last_page_has_no_next_and_first_page_no_previous() -> None:
    assert next_link(PAGE, [], count=20, limit=10, offset=10) is None
    assert previous_link(PAGE, [], limit=10, offset=0) is None


def test_previous_drops_offset_when_it_would_be_zero_or_less() -> None:
    pairs = parse_query_string("limit=1000&offset=20")
    assert previous_link(PAGE, pairs, limit=100, offset=20) == PAGE + "?limit=100"
    assert previous_link(PAGE, pairs, limit=5, offset=20) == PAGE + "?limit=5&offset=15"


def test_limit_is_written_even_when_the_client_sent_none() -> None:
    assert previous_link(PAGE, [("offset", "x")], limit=10, offset=30) == (
        PAGE + "?limit=10&offset=20"
    )
