"""Bodies assembled at serve time: a list page or an event as compact JSON bytes.

An answer is the events' compiled templates (``api_mirror.read.templates``) joined with what only
the request knows: the serving base, the shared rows' fragments under its link style, and the two
growing durations brought current at the serve time. The bytes are exactly DRF's compact JSON of the
same body (``api_mirror.drf.renderer.json_text``): every piece was written by that encoder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from api_mirror.drf.renderer import json_bytes
from api_mirror.read.snapshot import Entry
from api_mirror.read.templates import BASE_HOLE, IN_SPACE_HOLE, Compiled
from models.ll2.formats import format_duration
from models.ll2.template import json_string_text
from models.store.read_model import epoch_micros


class BodyWriter:
    """Writes events for one request: its base, its fragments, one mode, one serve time.

    ``growing`` tells, once written, whether a duration was brought current (the body is then
    right for this second only).
    """

    __slots__ = ("base", "detailed", "fragments", "growing", "now")

    def __init__(
        self, base: str, fragments: Mapping[str, bytes], *, detailed: bool, now: dt.datetime
    ) -> None:
        self.base = json_string_text(base).encode()
        self.fragments = fragments
        self.detailed = detailed
        self.now = epoch_micros(now)
        self.growing = False

    def _duration(self, stored: int | None, counted_from: int | None) -> bytes:
        if stored is None or counted_from is None:
            return b"null"  # never marked so; kept safe
        self.growing = True
        return format_duration(stored + max(0, (self.now - counted_from) // 1_000_000)).encode()

    def event(self, entry: Entry, compiled: Compiled, out: list[bytes]) -> None:
        """Append the event's JSON to ``out``."""
        fragments = self.fragments
        parts = (compiled.head, compiled.detailed) if self.detailed else (compiled.head,)
        for pieces in parts:
            for piece in pieces:
                if piece.__class__ is bytes:
                    out.append(piece)
                elif piece.__class__ is str:
                    out.append(fragments.get(piece, b"null"))
                elif piece == BASE_HOLE:
                    out.append(self.base)
                elif piece == IN_SPACE_HOLE:
                    out.append(self._duration(entry.in_space, entry.durations_at))
                else:
                    out.append(self._duration(entry.docked, entry.durations_at))
        out.append(compiled.tail)


def event_body(writer: BodyWriter, entry: Entry, compiled: Compiled) -> bytes:
    """The detail route's body."""
    out: list[bytes] = []
    writer.event(entry, compiled, out)
    return b"".join(out)


def list_body(
    writer: BodyWriter,
    *,
    count: int,
    next_url: str | None,
    previous_url: str | None,
    entries: Sequence[Entry],
    templates: Mapping[int, Compiled],
) -> bytes:
    """The list route's body: the count/next/previous/results envelope."""
    out = [
        b'{"count":',
        str(count).encode(),
        b',"next":',
        json_bytes(next_url),
        b',"previous":',
        json_bytes(previous_url),
        b',"results":[',
    ]
    for index, entry in enumerate(entries):
        if index:
            out.append(b",")
        writer.event(entry, templates[entry.id], out)
    out.append(b"]}")
    return b"".join(out)
