"""Compiled templates: an event's template cut into pieces for one link style, and their cache.

``compile_template`` resolves a template's url ends for a link style (``style_ends``) and cuts
the rest into pieces: literal UTF-8 bytes, the holes ``BASE_HOLE``, ``IN_SPACE_HOLE`` and
``DOCKED_HOLE``, and fragment refs (``"c25"``, a ``str``); the detailed-only part is kept apart,
so one compiled template serves both modes. ``compile_fragments`` does the same for the shared
rows' JSON. See ``models.ll2.template`` for the marks.

``TemplateCache`` keeps compiled templates by (event id, document version, url ends), the least
recently used first out beyond ``max_bytes``: that cap is the mirror's memory for bodies. A
document version never changes its template, so an entry stays right for as long as a snapshot
names that version; a request that misses some loads them from the database at its snapshot's
version (``api_mirror.read.current``).
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from models.ll2.template import (
    BASE,
    DETAILED,
    DOCKED,
    IN_SPACE,
    PLAIN_END,
    REF,
    SLASH_END,
)

BASE_HOLE, IN_SPACE_HOLE, DOCKED_HOLE = 1, 4, 5
_HOLES = {BASE: BASE_HOLE, IN_SPACE: IN_SPACE_HOLE, DOCKED: DOCKED_HOLE}
_HOLE_SPLIT = re.compile(f"([{BASE}{IN_SPACE}{DOCKED}])")
# What a cache entry costs besides its pieces: the entry object, its key and the LRU's node.
_ENTRY_OVERHEAD = 340
Piece = bytes | int | str
Ends = tuple[str, str]
DEFAULT_ENDS: Ends = ("/", "")


@dataclass(frozen=True, slots=True)
class Compiled:
    """An event's pieces: ``head`` (both modes), ``detailed`` (detailed only), ``tail``."""

    head: tuple[Piece, ...]
    detailed: tuple[Piece, ...]
    tail: bytes
    size: int  # what it costs in memory, in bytes (estimated, cache overhead included)


def _cut(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    for index, part in enumerate(text.split(REF)):
        if index % 2:
            pieces.append(sys.intern(part))  # a handful of refs, shared by every template
            continue
        for number, chunk in enumerate(_HOLE_SPLIT.split(part)):
            if number % 2:
                pieces.append(_HOLES[chunk])
            elif chunk:
                pieces.append(chunk.encode())
    return pieces


def resolve_ends(text: str, ends: Ends) -> str:
    """The text with its url ends written for a link style."""
    return text.replace(SLASH_END, ends[0]).replace(PLAIN_END, ends[1])


def compile_template(template: str, ends: Ends) -> Compiled:
    """A template's pieces under a link style's url ends."""
    head, detailed, tail = resolve_ends(template, ends).split(DETAILED)
    head_pieces, detailed_pieces = tuple(_cut(head)), tuple(_cut(detailed))
    size = _ENTRY_OVERHEAD + sys.getsizeof(head_pieces) + sys.getsizeof(detailed_pieces)
    size += sum(sys.getsizeof(p) for p in (*head_pieces, *detailed_pieces) if type(p) is bytes)
    return Compiled(head_pieces, detailed_pieces, tail.encode(), size)


def compile_fragments(
    fragments: Mapping[str, tuple[str, str]], ends: Ends
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The shared rows' JSON for a link style: (normal form by ref, detailed form by ref)."""
    normal = {ref: resolve_ends(texts[0], ends).encode() for ref, texts in fragments.items()}
    detailed = {ref: resolve_ends(texts[1], ends).encode() for ref, texts in fragments.items()}
    return normal, detailed


class TemplateCache:
    """A thread-safe LRU of ``(event id, document version, ends) -> Compiled``, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Compiled] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Hashable]) -> list[Compiled | None]:
        """The compiled template for each key, or None."""
        with self._lock:
            found = []
            for key in keys:
                compiled = self._entries.get(key)
                if compiled is not None:
                    self._entries.move_to_end(key)
                found.append(compiled)
            return found

    def put_many(self, items: Iterable[tuple[Hashable, Compiled]]) -> None:
        """Remember compiled templates; the least recently used make room."""
        with self._lock:
            for key, compiled in items:
                if compiled.size > self.max_bytes:
                    continue
                previous = self._entries.pop(key, None)
                if previous is not None:
                    self._bytes -= previous.size
                self._entries[key] = compiled
                self._bytes += compiled.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    @property
    def bytes(self) -> int:
        """What the cached templates cost, estimated."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
