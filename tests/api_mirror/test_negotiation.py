"""negotiate: DRF's DefaultContentNegotiation over the JSON and browsable API renderers."""

from __future__ import annotations

import pytest

from api_mirror.drf.negotiation import MediaType, Representation, negotiate
from api_mirror.drf.params import QueryError

JSON = Representation("json", None)
PAGE = Representation("api", 4)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("format_name", "accept", "expected"),
    [
        (None, None, JSON),
        ("", None, JSON),
        (None, "*/*", JSON),
        (None, "application/*", JSON),
        (None, "APPLICATION/JSON", JSON),
        (None, "text/html", PAGE),
        (None, FIREFOX, PAGE),
        (None, "text/*", PAGE),
        (None, "*/html", PAGE),
        # q values play no part: the first renderer matching the most specific group wins
        (None, "text/html;q=1, application/json;q=0.1", JSON),
        (None, "text/html; level=1, application/json", PAGE),
        ("json", FIREFOX, JSON),
        ("api", None, PAGE),
        ("api", "*/*", PAGE),
        # the accepted media type's indent, clamped to 0..8, 0 meaning compact
        (None, "application/json; indent=4", Representation("json", 4)),
        (None, 'application/json; indent="2"', Representation("json", 2)),
        (None, "application/json; indent=99", Representation("json", 8)),
        (None, "application/json; indent=-3", JSON),
        (None, "application/json; indent=x", JSON),
        (None, "*/*;indent=3", Representation("json", 3)),
        (None, "text/html; indent=2", Representation("api", 2)),
        (None, "text/html; indent=0", Representation("api", None)),
        (None, "text/html; indent=nope", PAGE),
    ],
)
def test_the_renderer_and_indent_follow_drf(
    format_name: str | None, accept: str | None, expected: Representation
) -> None:
    assert negotiate(format_name, accept) == expected


@pytest.mark.parametrize(
    ("format_name", "accept", "status", "body"),
    [
        ("xml", None, 404, {"detail": "Not found."}),
        ("JSON", None, 404, {"detail": "Not found."}),
        ("xml", "text/plain", 404, {"detail": "Not found."}),
        (None, "text/plain", 406, {"detail": "Could not satisfy the request Accept header."}),
        (None, "", 406, {"detail": "Could not satisfy the request Accept header."}),
        ("json", "text/html", 406, {"detail": "Could not satisfy the request Accept header."}),
        (
            "api",
            "application/json",
            406,
            {"detail": "Could not satisfy the request Accept header."},
        ),
    ],
)
def test_unknown_formats_are_404_and_unsatisfiable_accepts_406(
    format_name: str | None, accept: str | None, status: int, body: object
) -> None:
    with pytest.raises(QueryError) as caught:
        negotiate(format_name, accept)
    assert (caught.value.status, caught.value.body) == (status, body)


def test_media_types_are_read_as_django_reads_them() -> None:
    parsed = MediaType.parse(' Text/HTML ; Level = 1 ; q=0.5; x="a;b"; bare')
    assert (parsed.main, parsed.sub) == ("text", "html")
    assert parsed.params == {"level": "1", "q": "0.5", "x": "a;b"}
    assert [MediaType.parse(t).precedence for t in ("a/b;x=1", "a/b;q=1", "a/*", "*/*")] == [
        3,
        2,
        1,
        0,
    ]
