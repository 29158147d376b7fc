"""Reading Server-Sent Events the way a browser's EventSource does (tests and benchmarks)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SseEvent:
    """One dispatched event (``comments`` are the comment lines seen since the previous one)."""

    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

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
