"""The plain values the mirror's app runs with, built from settings by ``worker.bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MirrorConfig:
    """What ``create_app`` is told besides its collaborators (no defaults: those are settings').

    ``upstream_base``: the LL2 API root (without credentials) that links name when the request
    gives no host to use. ``trust_proxy``: whether ``X-Forwarded-*`` name that host.
    ``stale_after_seconds``: how old the last sync may be before /status and /metrics call the
    data stale. ``check_seconds``: how often the data version is checked on its own (None:
    never; the snapshot then moves only on hints or an explicit refresh). ``cache_bytes``: the
    memory for whole answers kept for repeats (the events' bodies are all in the snapshot).
    ``cors_origins``: the origins browser apps may read the mirror from (``("*",)``: any; see
    ``api_mirror.http.cors``).
    """

    upstream_base: str
    trust_proxy: bool
    stale_after_seconds: float
    check_seconds: float | None
    cache_bytes: int
    cors_origins: tuple[str, ...]
