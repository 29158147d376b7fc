"""The representation's one error: upstream JSON that does not fit the 2.2.0 shape."""

from __future__ import annotations


class MalformedEvent(ValueError):
    """A docking event (or a value in it) breaks the 2.2.0 shape; the message names what.

    ``event_id`` is the event's id as a log line may quote it (see ``schema.describe_id``).
    """

    def __init__(self, message: str, *, event_id: str = "?") -> None:
        super().__init__(message)
        self.event_id = event_id
