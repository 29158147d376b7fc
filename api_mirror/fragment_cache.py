"""A small in-process cache of serialized events, reused by list pages across seconds.

A serialized event depends on the data version, the event, the mode and the link style, plus
the serve time through its two durations only. A ``Fragment`` keeps the rest of the body and
what the durations are computed from, so a page whose events were all serialized before (in
any earlier second, same data version) costs its id query, a few dict copies and the encoding.
Any sync write bumps the data version, which changes every key: nothing stale is ever served.
Bounded by entries and by (estimated) bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence

from api_mirror.fragments import Fragment

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class FragmentCache:
    """A thread-safe LRU of ``key -> Fragment``."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Fragment] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Hashable]) -> list[Fragment | None]:
        """The cached fragment for each key, or None."""
        with self._lock:
            found = []
            for key in keys:
                fragment = self._entries.get(key)
                if fragment is not None:
                    self._entries.move_to_end(key)
                found.append(fragment)
            return found

    def put_many(self, items: Sequence[tuple[Hashable, Fragment]]) -> None:
        """Remember the fragments; the least recently used entries make room."""
        with self._lock:
            for key, fragment in items:
                if fragment.size > self.max_bytes:
                    continue
                previous = self._entries.pop(key, None)
                if previous is not None:
                    self._bytes -= previous.size
                self._entries[key] = fragment
                self._bytes += fragment.size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
