"""The documentation's own links resolve: every relative file exists, every #anchor is a heading
of its page (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_helpers import PAGES, README

LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.DOTALL)


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page``."""
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), re.MULTILINE)
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings
    }


def links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(FENCE.sub("", page.read_text()))
        if not target.startswith(("http://", "https://", "mailto:"))
    ]


def test_the_readme_leads_to_every_page_and_each_page_back() -> None:
    assert {path.name for path in PAGES} >= {
        "configuration.md", "command-line.md", "notifications.md", "mirror.md", "operations.md",
    }  # fmt: skip
    front = links(README)
    for page in PAGES:
        assert f"docs/{page.name}" in front, page.name
        assert "../README.md" in links(page), page.name


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda page: page.name)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    for target in links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), target
        if anchor:
            assert anchor in anchors(linked), target
