"""Typed sync-state records (sweep checkpoint, fill, last cycle, last success, data version).

Each record is a frozen pydantic model stored as JSON in one ``sync_state`` row named by its
``NAME``. Reads and writes go through the caller's session, so a checkpoint commits in the same
transaction as the page it describes. Instants are written in the one upstream format
(``2024-11-15T18:32:00Z``, see ``models.ll2.formats``); a record never written reads as its
defaults.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from models.store.cycle_summary import CycleSummary
from models.store.tables import SyncState
from models.support.instants import Instant


class StateRecord(BaseModel):
    """A named piece of sync state; subclasses set ``NAME`` and give every field a default."""

    # Stored rows may carry keys of other versions (ignored); the JSON written has every field.
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )
    NAME: ClassVar[str]


class SweepCheckpoint(StateRecord):
    """Where the reconciliation sweep stands: the next ``offset`` and the last id it listed.

    ``clean`` stays true while every page of the pass could prove absences; ``rewinds`` counts
    the steps back taken in this pass after rows shifted under it.
    """

    NAME: ClassVar[str] = "sweep"
    offset: int = 0
    last_id: int | None = None
    count: int | None = None
    started_at: Instant | None = None
    last_complete: Instant | None = None
    clean: bool = True
    rewinds: int = 0


class FillState(StateRecord):
    """Whether the first fill (a complete sweep pass of an empty mirror) is done."""

    NAME: ClassVar[str] = "fill"
    done: bool = False


class LastCycle(StateRecord):
    """When the last sync cycle finished and its summary (the ``dockwatch sync`` JSON line)."""

    NAME: ClassVar[str] = "last_cycle"
    finished_at: Instant | None = None
    summary: CycleSummary = CycleSummary()


class LastSuccess(StateRecord):
    """When a cycle last brought the mirror up to date with upstream (a poll or a fill)."""

    NAME: ClassVar[str] = "last_success"
    at: Instant | None = None
    complete: bool = False


class DataVersion(StateRecord):
    """A counter bumped by every data write, and when it last changed (see ``data_version``)."""

    NAME: ClassVar[str] = "data_version"
    number: int = 0
    changed_at: Instant | None = None


RecordT = TypeVar("RecordT", bound=StateRecord)


def read_record(session: Session, kind: type[RecordT]) -> RecordT:
    """The stored record of this kind (its defaults when never written)."""
    row = session.get(SyncState, kind.NAME)
    return kind.model_validate(row.value) if row is not None else kind()


def write_record(session: Session, record: StateRecord, now: dt.datetime) -> None:
    """Replace the stored record of ``record``'s kind; the caller commits."""
    value = record.model_dump(mode="json")
    row = session.get(SyncState, record.NAME)
    if row is None:
        session.add(SyncState(name=record.NAME, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
        session.add(row)
    session.flush()


def fill_done(session: Session) -> bool:
    """Whether the first fill is done."""
    return read_record(session, FillState).done
