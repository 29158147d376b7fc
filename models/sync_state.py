"""Named sync-state records (sweep checkpoint, fill progress, last results) in ``sync_state``.

Reads and writes go through the caller's session, so a checkpoint commits in the same
transaction as the page it describes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from models.tables import SyncState

SWEEP = "sweep"
FILL = "fill"
LAST_CYCLE = "last_cycle"
LAST_SUCCESS = "last_success"


def read_state(session: Session, name: str) -> dict[str, Any]:
    """The stored value of ``name`` (an empty dict when never written)."""
    row = session.get(SyncState, name)
    return dict(row.value) if row is not None else {}


def write_state(session: Session, name: str, value: dict[str, Any], now: dt.datetime) -> None:
    """Replace the value of ``name``; the caller commits."""
    row = session.get(SyncState, name)
    if row is None:
        session.add(SyncState(name=name, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
        session.add(row)
    session.flush()
