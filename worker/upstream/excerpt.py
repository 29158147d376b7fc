"""The gist of an upstream answer's body on one short line, for error messages.

An error names the status and at most this excerpt: never a page of HTML. DRF's error bodies
(``{"detail": "Not found."}``) give their ``detail``; an HTML page its ``<title>`` (else its
text without markup); anything else its text. Whitespace runs, line breaks included, become one
space, other control characters are dropped, and a longer text is cut at ``EXCERPT_CHARS`` with
an ellipsis.
"""

from __future__ import annotations

import html
import json
import re

import httpx

EXCERPT_CHARS = 120
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style)[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _looks_like_html(response: httpx.Response, text: str) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    return "html" in content_type or text.lstrip().startswith("<")


def _gist(response: httpx.Response) -> str:
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    if body is None and _looks_like_html(response, text):
        title = _TITLE.search(text)
        markup = title.group(1) if title else _TAG.sub(" ", _INVISIBLE.sub(" ", text))
        return html.unescape(markup)
    return text


def one_line(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one line of at most ``limit`` characters (cut with "…")."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    flat = " ".join(printable.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def body_excerpt(response: httpx.Response, limit: int = EXCERPT_CHARS) -> str:
    """The gist of ``response``'s (read) body on one line of at most ``limit`` characters;
    "" for an empty body."""
    return one_line(_gist(response), limit)
