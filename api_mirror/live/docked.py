"""Who is docked where now, for the live page: the shared read of ``models.store.docked``."""

from __future__ import annotations

from models.store.docked import UNKNOWN, Docked, docked_now, placement

__all__ = ["UNKNOWN", "Docked", "docked_now", "placement"]
