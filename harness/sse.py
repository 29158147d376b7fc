"""Reading Server-Sent Events the way a browser's EventSource does (tests and benchmarks)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SseEvent:
    """One dispatched event (``comments`` are the comment lines seen since the previous one)."""

    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)
    arrived: float = 0.0  # time.perf_counter() when it was parsed

    def json(self) -> Any:
        """The data as JSON."""
        return json.loads(self.data)


def parse_lines(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events from the lines of a ``text/event-stream`` body; a comment alone yields an event
    with empty ``data`` and no ``id`` (so a reader sees keep-alives too)."""
    current = SseEvent()
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or current.comments:
                current.data = "\n".join(data)
                current.arrived = time.perf_counter()
                yield current
            current, data = SseEvent(), []
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            current.comments.append(value)
        elif name == "id":
            current.id = value
        elif name == "event":
            current.event = value
        elif name == "data":
            data.append(value)


class SseListener(threading.Thread):
    """An SSE client on ``url`` in a thread, keeping every notification (events with an id)
    until ``expected`` arrived or ``close`` is called."""

    def __init__(self, url: str, expected: int | None = None) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.expected = expected
        self.events: list[SseEvent] = []
        self.connected = threading.Event()
        self.condition = threading.Condition()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))

    def run(self) -> None:
        try:
            with self.client.stream("GET", self.url) as response:
                self.connected.set()
                for event in parse_lines(response.iter_lines()):
                    if event.id is None:
                        continue
                    with self.condition:
                        self.events.append(event)
                        self.condition.notify_all()
                    if self.expected is not None and len(self.events) >= self.expected:
                        return  # closes the stream (before the server stops)
        except httpx.HTTPError:
            pass  # closed by ``close``

    def wait_for(self, count: int, timeout: float = 30.0) -> list[SseEvent]:
        """The notifications once ``count`` arrived; raises TimeoutError at the deadline."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.events) >= count, timeout):
                raise TimeoutError(f"{len(self.events)} of {count} SSE notifications arrived")
            return list(self.events)

    def close(self) -> None:
        """Drop the connection."""
        self.client.close()
