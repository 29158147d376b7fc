"""The shared kernel both the worker and the mirror stand on, by role.

``support`` (no I/O: clock, instants, redaction, compact JSON, limits) is the bottom; ``ll2``
(the LL2 representations) stands on it; ``store`` (the database) and ``fleet`` (Redis) stand on
both. Import-linter keeps these layers (``make lint``).
"""
