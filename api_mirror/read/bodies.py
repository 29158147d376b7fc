"""Bodies assembled at serve time: a list page or an event as compact JSON bytes.

An answer is its events' compiled bodies (``api_mirror.read.compiled``) joined and then resolved
with what only the request knows, in whole-buffer byte operations rather than per piece: the
detailed-only parts kept or dropped, the serving base, the link style's url ends, the shared
rows' fragments under that style, and each event's growing durations brought current at the
serve time. The bytes are exactly DRF's compact JSON of the same body
(``api_mirror.drf.renderer.json_text``): every piece was written by that encoder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from api_mirror.drf.renderer import json_bytes
from api_mirror.read.compiled import (
    BASE_MARK,
    DETAILED_MARK,
    DOCKED_MARK,
    IN_SPACE_MARK,
    PLAIN_MARK,
    REF_MARK,
    SLASH_MARK,
    Ends,
)
from api_mirror.read.snapshot import Entry
from models.ll2.formats import format_duration
from models.ll2.template import json_string_text
from models.store.read_model import epoch_micros


class BodyWriter:
    """Writes events for one request: its base, its link style's url ends (``Ends``), its
    fragments (by ref, ``compile_fragments``' form for the mode), one mode, one serve time.

    ``growing`` tells, once written, whether a duration was brought current (the body is then
    right for this second only).
    """

    __slots__ = ("base", "detailed", "fragments", "growing", "now", "plain_end", "slash_end")

    def __init__(
        self,
        base: str,
        ends: Ends,
        fragments: Mapping[bytes, bytes],
        *,
        detailed: bool,
        now: dt.datetime,
    ) -> None:
        self.base = json_string_text(base).encode()
        self.slash_end = ends[0].encode()  # url-safe text (``models.ll2.template.style_ends``)
        self.plain_end = ends[1].encode()
        self.fragments = fragments
        self.detailed = detailed
        self.now = epoch_micros(now)
        self.growing = False

    def _duration(self, stored: int | None, counted_from: int | None) -> bytes:
        if stored is None or counted_from is None:
            return b"null"  # never marked so; kept safe
        self.growing = True
        return format_duration(stored + max(0, (self.now - counted_from) // 1_000_000)).encode()

    def _current(self, entry: Entry) -> bytes:
        """The entry's compiled body with its growing durations written; raises ValueError for
        an entry without a body."""
        body = entry.body
        if body is None:
            raise ValueError(f"event {entry.id}: the snapshot was built without bodies")
        if IN_SPACE_MARK in body:
            body = body.replace(IN_SPACE_MARK, self._duration(entry.in_space, entry.durations_at))
        if DOCKED_MARK in body:
            body = body.replace(DOCKED_MARK, self._duration(entry.docked, entry.durations_at))
        return body

    def events(self, entries: Sequence[Entry], separator: bytes = b",") -> bytes:
        """The entries' JSON, joined by ``separator``, every mark resolved."""
        text = separator.join([self._current(entry) for entry in entries])
        if self.detailed:
            text = text.replace(DETAILED_MARK, b"")
        else:
            text = b"".join(text.split(DETAILED_MARK)[0::2])
        text = text.replace(BASE_MARK, self.base).replace(SLASH_MARK, self.slash_end)
        text = text.replace(PLAIN_MARK, self.plain_end)
        if REF_MARK not in text:
            return text
        parts = text.split(REF_MARK)
        fragments = self.fragments
        parts[1::2] = [fragments.get(ref, b"null") for ref in parts[1::2]]
        return b"".join(parts)


def event_body(writer: BodyWriter, entry: Entry) -> bytes:
    """The detail route's body."""
    return writer.events([entry])


def list_body(
    writer: BodyWriter,
    *,
    count: int,
    next_url: str | None,
    previous_url: str | None,
    entries: Sequence[Entry],
) -> bytes:
    """The list route's body: the count/next/previous/results envelope."""
    return b"".join(
        (
            b'{"count":',
            str(count).encode(),
            b',"next":',
            json_bytes(next_url),
            b',"previous":',
            json_bytes(previous_url),
            b',"results":[',
            writer.events(entries),
            b"]}",
        )
    )
