"""Which renderer answers a request: DRF's DefaultContentNegotiation over upstream's two renderers.

Upstream's views have DRF's default renderers, in this order: ``JSONRenderer``
(``application/json``, format ``json``) and ``BrowsableAPIRenderer`` (``text/html``, format
``api``). ``negotiate`` copies ``DefaultContentNegotiation.select_renderer``:

- The format is the URL's suffix (``/615.json``), else the ``format`` query parameter's last value;
  an empty one counts as none. A format no renderer has is a 404 ``{"detail":"Not found."}``.
- The ``Accept`` header (``*/*`` when absent) is split on commas and its media types grouped by
  how specific they are (``type/sub;param`` before ``type/sub`` before ``type/*`` before
  ``*/*``; ``q`` values play no part). Group by group, the first renderer (in the order above)
  that matches any media type of the group wins. No match at all is a 406
  ``{"detail":"Could not satisfy the request Accept header."}``.

So ``*/*`` (curl, most clients) gets JSON, a browser's ``text/html,…,*/*;q=0.8`` gets the
browsable page, ``?format=json`` gets JSON from a browser (its ``*/*`` accepts it) but a 406 for a
bare ``Accept: text/html``, and ``Accept: text/html, application/json`` gets JSON.

The accepted media type's ``indent`` parameter (``application/json; indent=4``) pretty-prints the
JSON as ``JSONRenderer.get_indent`` does: clamped to 0..8, 0 meaning compact; the browsable page
shows its JSON with ``indent=4`` unless the parameter says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api_mirror.drf.params import NOT_FOUND, QueryError

Format = Literal["json", "api"]
NOT_ACCEPTABLE = {"detail": "Could not satisfy the request Accept header."}
# The browsable API renders the JSON it shows with this indent (BrowsableAPIRenderer.get_content).
BROWSABLE_INDENT = 4
MAX_INDENT = 8


@dataclass(frozen=True, slots=True)
class Renderer:
    """One of upstream's renderers: its format name and media type."""

    format: Format
    media_type: str


RENDERERS = (Renderer("json", "application/json"), Renderer("api", "text/html"))


@dataclass(frozen=True, slots=True)
class Representation:
    """The outcome: which renderer, and the JSON indent (None: compact)."""

    format: Format
    indent: int | None

    @property
    def html(self) -> bool:
        """Whether the answer is the browsable API page."""
        return self.format == "api"


def _parse_params(text: str) -> list[str]:
    """``;``-separated parts, a ``;`` inside double quotes kept (the cgi/Django splitter)."""
    parts = []
    rest = ";" + text
    while rest[:1] == ";":
        rest = rest[1:]
        end = rest.find(";")
        while end > 0 and (rest.count('"', 0, end) - rest.count('\\"', 0, end)) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            end = len(rest)
        parts.append(rest[:end].strip())
        rest = rest[end:]
    return parts


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type as DRF's ``_MediaType`` reads it (Django's ``parse_header_parameters``)."""

    main: str
    sub: str
    params: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> MediaType:
        """Lower-cased type, parameter names lower-cased, values stripped and unquoted."""
        full, *rest = _parse_params(text)
        params: dict[str, str] = {}
        for part in rest:
            name, equals, value = part.partition("=")
            if not equals:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
            params[name.strip().lower()] = value
        main, _, sub = full.lower().partition("/")
        return cls(main, sub, params)

    @property
    def precedence(self) -> int:
        """3: ``type/sub;param``, 2: ``type/sub`` (a lone ``q`` too), 1: ``type/*``, 0: ``*/*``."""
        if self.main == "*":
            return 0
        if self.sub == "*":
            return 1
        if not self.params or list(self.params) == ["q"]:
            return 2
        return 3

    def satisfied_by(self, renderer: MediaType) -> bool:
        """Whether ``renderer``'s type satisfies this accepted type (``_MediaType.match``)."""
        for key, value in renderer.params.items():
            if key != "q" and self.params.get(key) != value:
                return False
        if renderer.sub != "*" and self.sub != "*" and self.sub != renderer.sub:
            return False
        return not (renderer.main != "*" and self.main != "*" and self.main != renderer.main)


def _indent(accepted: str, default: int | None) -> int | None:
    """``JSONRenderer.get_indent``: the ``indent`` parameter clamped to 0..8 (0: none)."""
    value = MediaType.parse(accepted).params.get("indent")
    if value is None:
        return default
    try:
        indent = max(min(int(value), MAX_INDENT), 0)
    except ValueError:
        return default
    return indent or None


def _accepted_type(renderer: Renderer, accepted: str) -> str:
    """The media type DRF records as accepted: the renderer's own when it is more specific."""
    wanted = MediaType.parse(accepted)
    own = MediaType.parse(renderer.media_type)
    if own.precedence > wanted.precedence:
        return ";".join([renderer.media_type, *(f"{k}={v}" for k, v in wanted.params.items())])
    return accepted


def negotiate(format_name: str | None, accept: str | None) -> Representation:
    """The representation for a format (suffix or ``?format=``) and an ``Accept`` header.

    Raises QueryError(404, NOT_FOUND) for a format no renderer has and QueryError(406,
    NOT_ACCEPTABLE) when no renderer left satisfies ``Accept``. Within one precedence group DRF
    iterates a set (an arbitrary order); here the header's order decides between two media types
    the same renderer matches (only their ``indent`` could differ).
    """
    renderers = list(RENDERERS)
    if format_name:
        renderers = [renderer for renderer in RENDERERS if renderer.format == format_name]
        if not renderers:
            raise QueryError(404, NOT_FOUND)
    tokens = [token.strip() for token in ("*/*" if accept is None else accept).split(",")]
    parsed = [(token, MediaType.parse(token)) for token in tokens]
    for precedence in (3, 2, 1, 0):
        group = [(token, media) for token, media in parsed if media.precedence == precedence]
        for renderer in renderers:
            own = MediaType.parse(renderer.media_type)
            for token, media in group:
                if media.satisfied_by(own):
                    accepted = _accepted_type(renderer, token)
                    default = BROWSABLE_INDENT if renderer.format == "api" else None
                    return Representation(renderer.format, _indent(accepted, default))
    raise QueryError(406, NOT_ACCEPTABLE)
