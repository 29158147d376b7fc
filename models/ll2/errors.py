"""The representation's one error: upstream JSON that does not fit the 2.2.0 shape."""

from __future__ import annotations


class MalformedEvent(ValueError):
    """A docking event (or a value in it) breaks the 2.2.0 shape; the message names what."""
