"""The browsable page's pieces: linked and escaped JSON, format links, the whole page."""

from __future__ import annotations

import json

from api_mirror.drf.browsable import Page, linked_json, render_page, with_format
from tests.api_mirror.browsable_text import pretty, read_page

BODY = {
    "url": "http://mirror:8000/2.2.0/docking_event/7/?format=api&x='1'",
    "not_a_link": "http://mirror/<b>",
    "name": '<script>alert("x")</script> & co',
    "links": ["https://ll.example/a/", "javascript:alert(1)", "http://", "ftp://x/"],
    "quoted": 'https://ll.example/"quoted"/',
    "n": 1.5,
}


def test_linked_json_escapes_everything_and_links_only_http_urls() -> None:
    html = linked_json(pretty(BODY))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    href = "http://mirror:8000/2.2.0/docking_event/7/?format=api&amp;x=&#x27;1&#x27;"
    assert f'<a href="{href}" rel="nofollow">' in html
    assert '<a href="https://ll.example/a/" rel="nofollow">https://ll.example/a/</a>' in html
    assert html.count("<a ") == 2  # not javascript:, <, a bare scheme, ftp, a quote


def test_the_page_text_is_the_json_text() -> None:
    page = Page(
        method="GET",
        full_path="/2.2.0/docking_event/7/?format=api&q=%3C",
        status=404,
        headers={"Vary": "Accept", "Allow": "GET", "Content-Type": "application/json"},
        body=BODY,
        indent=4,
        name="Docking Event Instance",
        list_path="/2.2.0/docking_event/",
    )
    html = render_page(page).decode()
    read = read_page(html)
    assert read.request_line == "GET /2.2.0/docking_event/7/?format=api&q=%3C"
    assert read.header_lines == [
        "HTTP 404 Not Found",
        "Allow: GET",
        "Content-Type: application/json",
        "Vary: Accept",
    ]
    assert read.json_text == pretty(BODY)
    assert json.loads(read.json_text) == BODY
    assert '<meta name="viewport"' in html
    assert "http" not in html.split("<body>")[0]  # no external asset in the head


def test_format_links_replace_the_format_and_sort_the_parameters() -> None:
    assert with_format("/2.2.0/docking_event/?limit=2&format=api&a=1", "json") == (
        "/2.2.0/docking_event/?a=1&format=json&limit=2"
    )
    assert with_format("/2.2.0/docking_event/615/", "api") == "/2.2.0/docking_event/615/?format=api"
