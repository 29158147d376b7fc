"""Read a browsable API page as a browser shows it: the request line, the header lines, the JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any


class _PreText(HTMLParser):
    """Collects the text of every ``<pre id=…>`` (entities decoded, tags dropped) and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []  # (href, text) inside the response block
        self._current: str | None = None
        self._href: str | None = None
        self._link_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "pre" and values.get("id"):
            self._current = values["id"]
            self.texts[self._current] = ""
        elif tag == "a" and self._current is not None:
            self._href, self._link_text = values.get("href"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._current = None
        elif tag == "a" and self._href is not None:
            if self._current == "response-info":
                self.links.append((self._href, self._link_text))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.texts[self._current] += data
            if self._href is not None:
                self._link_text += data


@dataclass(frozen=True)
class BrowsablePage:
    """The parts of a page a reader sees."""

    request_line: str
    header_lines: list[str]
    json_text: str
    links: list[tuple[str, str]]

    @property
    def body(self) -> Any:
        """The JSON block, parsed."""
        return json.loads(self.json_text)


def read_page(html: str) -> BrowsablePage:
    """The request line, the response's status and header lines, its JSON text and links."""
    parser = _PreText()
    parser.feed(html)
    parser.close()
    head, _, json_text = parser.texts["response-info"].partition("\n\n")
    return BrowsablePage(parser.texts["request-info"], head.split("\n"), json_text, parser.links)


def pretty(body: Any) -> str:
    """The JSON text the browsable API shows for ``body`` (DRF's JSONRenderer with indent 4)."""
    return json.dumps(body, indent=4, ensure_ascii=False, separators=(",", ": "))
