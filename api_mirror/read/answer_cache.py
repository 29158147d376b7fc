"""A small in-process cache of whole answers, so a repeated GET costs no assembly at all.

An answer depends on the data version, on what the request says (path, query string, ``Host``,
``Accept``, scheme, proxy headers: ``answer_key``) and, when it holds a growing duration, on
the second it is served in. So an ``Answer`` is kept under (data version, request key) with the
second it is right for (None: right for the whole version). A new data version changes every
key: nothing stale is ever served. ``api_mirror.http.fast_path`` answers hits before the framework
runs. Bounded by entries and by bytes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.types import Scope

DEFAULT_MAX_ENTRIES = 256
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_KEY_HEADERS = frozenset({b"host", b"accept", b"x-forwarded-proto", b"x-forwarded-host"})


@dataclass(frozen=True, slots=True)
class Answer:
    """A 200 answer: its bytes and raw headers (and a 304's), its validators, when it is right
    (``second``: whole seconds since 1970; None: the whole data version) and its route."""

    content: bytes
    headers: list[tuple[bytes, bytes]]
    not_modified_headers: list[tuple[bytes, bytes]]
    etag: str
    last_modified: dt.datetime | None
    second: int | None
    route: str


def answer_key(scope: Scope) -> Hashable:
    """What besides the data version a GET answer depends on, read from the ASGI scope."""
    headers = tuple(
        (name, value) for name, value in scope.get("headers", ()) if name in _KEY_HEADERS
    )
    return (
        scope.get("path"),
        scope.get("root_path", ""),
        scope.get("query_string", b""),
        scope.get("scheme"),
        tuple(scope.get("server") or ()),
        headers,
    )


class ResponseCache:
    """A thread-safe LRU of ``(data version, request key) -> Answer``."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: int, key: Hashable, second: int) -> Answer | None:
        """The answer kept for this version and request, if it is right in ``second``."""
        with self._lock:
            answer = self._entries.get((version, key))
            if answer is None or (answer.second is not None and answer.second != second):
                self.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.hits += 1
            return answer

    def put(self, version: int, key: Hashable, answer: Answer) -> None:
        """Remember ``answer``; the least recently used entries make room."""
        if len(answer.content) > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop((version, key), None)
            if previous is not None:
                self._bytes -= len(previous.content)
            self._entries[(version, key)] = answer
            self._bytes += len(answer.content)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.content)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
