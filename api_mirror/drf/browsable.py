"""The browsable API page: an answer shown the way DRF's BrowsableAPIRenderer shows it, offline.

``render_page`` writes one self-contained HTML page (inline CSS, no script, no external asset,
no forms, a viewport for phones): the view's name and breadcrumbs, format links, the request
line (``GET /2.2.0/docking_event/615/?format=api``), then the answer as DRF prints it:
``HTTP 200 OK``, the response headers DRF lists (sorted by name, ``Content-Type`` being the JSON
renderer's ``application/json``), a blank line and the JSON with ``indent=4``. Like Django's
``urlize`` in DRF's template, every ``http(s)://`` url in the JSON is a link, and the page text
stays the JSON's text: the response block reads exactly ``HTTP …`` + header lines + ``""`` +
``json_text(body, indent)``. Everything is HTML-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlencode

from api_mirror.drf.renderer import json_text

# A JSON string literal in json.dumps output (quotes only ever delimit strings there).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# What gets a link: an absolute http(s) url written without JSON escapes.
_URL = re.compile(r"https?://[^\s\"\\<>]+")

_STYLE = """
body{margin:0;font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;
background:#fff;line-height:1.4}
.navbar{background:#2c2c2c;color:#eee;padding:.6em 1em;font-weight:600}
.container{max-width:70em;margin:0 auto;padding:0 1em 2em}
.breadcrumb{list-style:none;padding:.6em 1em;margin:1em 0;background:#f5f5f5;border-radius:4px}
.breadcrumb li{display:inline}
.breadcrumb li+li:before{content:"/ ";padding:0 .3em;color:#999}
.formats{float:right;margin-top:.4em}
.formats a,.pager a{display:inline-block;padding:.25em .7em;margin-left:.3em;border-radius:4px;
background:#2c6fad;color:#fff;text-decoration:none}
h1{font-size:1.6em;font-weight:500;margin:.6em 0;border-bottom:1px solid #eee;padding-bottom:.3em}
pre{background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:.7em;font-size:.9em;
white-space:pre-wrap;overflow-wrap:anywhere;font-family:Menlo,Consolas,monospace}
pre a{color:#2c6fad}
.meta{color:#555}
.lit{color:#195f91}
.pager{margin:.5em 0;text-align:right}
"""


@dataclass(frozen=True, slots=True)
class Page:
    """What the page shows.

    ``full_path`` is the request's path and query as Django's ``get_full_path`` writes them;
    ``headers`` are the response headers DRF lists (``Content-Type`` included); ``body`` is the
    JSON answer and ``status`` its status; ``name`` the view's name (``Docking Event List``);
    ``list_path`` the list route's path, for the breadcrumbs. ``crumbs`` (name, path) replace
    those breadcrumbs when given (the API root's views list theirs); ``description`` is the
    view's description, shown under its name as DRF shows it (blank lines part paragraphs).
    """

    method: str
    full_path: str
    status: int
    headers: Mapping[str, str]
    body: Any
    indent: int | None
    name: str
    list_path: str
    crumbs: tuple[tuple[str, str], ...] = ()
    description: str = ""


def linked_json(text: str) -> str:
    """HTML for JSON text: escaped, with each http(s) url string's content a link to it."""
    parts: list[str] = []
    end = 0
    for match in _STRING.finditer(text):
        inner = match[0][1:-1]
        if not _URL.fullmatch(inner):
            continue
        parts.append(escape(text[end : match.start() + 1], quote=False))
        href = escape(inner, quote=True)
        parts.append(f'<a href="{href}" rel="nofollow">{escape(inner, quote=False)}</a>')
        end = match.end() - 1
    parts.append(escape(text[end:], quote=False))
    return "".join(parts)


def with_format(full_path: str, value: str) -> str:
    """The path with its ``format`` parameter set (DRF's ``add_query_param`` tag)."""
    path, _, query = full_path.partition("?")
    params = parse_qs(query, keep_blank_values=True)
    params["format"] = [value]
    return path + "?" + urlencode(sorted(params.items()), doseq=True)


def _response_html(page: Page) -> str:
    meta = f"<b>HTTP {page.status} {escape(HTTPStatus(page.status).phrase)}</b>"
    for name, value in sorted(page.headers.items()):
        meta += f'\n<b>{escape(name)}:</b> <span class="lit">{escape(value)}</span>'
    content = linked_json(json_text(page.body, page.indent))
    return f'<span class="meta">{meta}\n\n</span>{content}'


def _pager(body: Any) -> str:
    if not isinstance(body, dict) or not {"next", "previous", "results"} <= body.keys():
        return ""
    links = [
        f'<a href="{escape(url)}" rel="nofollow">{label}</a>'
        for label, url in (("« Previous", body["previous"]), ("Next »", body["next"]))
        if isinstance(url, str)
    ]
    return f'<nav class="pager" aria-label="pagination">{"".join(links)}</nav>' if links else ""


def _breadcrumbs(page: Page) -> str:
    path = page.full_path.partition("?")[0]
    crumbs = list(page.crumbs) or [("Docking Event List", page.list_path)]
    if not page.crumbs and path != page.list_path:
        crumbs.append((page.name, path))
    items = "".join(f'<li><a href="{escape(url)}">{escape(name)}</a></li>' for name, url in crumbs)
    return f'<nav aria-label="breadcrumbs"><ol class="breadcrumb">{items}</ol></nav>'


def _description(text: str) -> str:
    if not text:
        return ""
    paragraphs = "".join(
        "<p>" + "<br>".join(escape(line) for line in part.splitlines()) + "</p>"
        for part in text.split("\n\n")
    )
    return f'<div class="description">{paragraphs}</div>\n'


def render_page(page: Page) -> bytes:
    """The whole page as UTF-8."""
    formats = "".join(
        f'<a href="{escape(with_format(page.full_path, name))}" rel="nofollow">{name}</a>'
        for name in ("json", "api")
    )
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="NONE,NOARCHIVE">
<title>{escape(page.name)} &ndash; dockwatch</title>
<style>{_STYLE}</style>
</head>
<body>
<div class="navbar">dockwatch · Launch Library 2 mirror</div>
<div class="container">
{_breadcrumbs(page)}
<main>
<div class="formats">GET as{formats}</div>
<h1>{escape(page.name)}</h1>
{_description(page.description)}{_pager(page.body)}
<div class="request-info"><pre id="request-info"><b>{escape(page.method)}</b> \
{escape(page.full_path)}</pre></div>
<div class="response-info"><pre id="response-info">{_response_html(page)}</pre></div>
</main>
</div>
</body>
</html>
"""
    return html.encode()
