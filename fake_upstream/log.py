"""The fake's request log: ``RequestRecord`` per request and the thread-safe ``RequestLog``.

Every request is recorded in arrival order with its method, path, query pairs, headers, the
fake's clock time, its route, the fault it met and the status it got (None when the connection
was dropped without an answer), so tests can check what the client sent and when.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from fake_upstream.faults import FaultKind
from fake_upstream.serializers import Route


@dataclass(frozen=True)
class RequestRecord:
    """One request as the fake saw it, and the status it answered (None: no answer)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    status: int | None
    at: datetime
    route: Route | None = None
    fault: FaultKind | None = None

    @property
    def params(self) -> dict[str, str]:
        """Last value of each query parameter."""
        return dict(self.query)

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class RequestLog:
    """Every request, in arrival order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Record one request."""
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the records."""
        with self._lock:
            return list(self._records)

    def count(
        self, route: Route | None = None, *, method: str | None = None, path: str | None = None
    ) -> int:
        """How many requests matched (all when no criteria)."""
        return sum(
            1
            for r in self.records
            if (route is None or r.route == route)
            and (method is None or r.method == method)
            and (path is None or r.path == path)
        )

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
