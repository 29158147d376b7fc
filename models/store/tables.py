"""SQLModel tables: the docking events, every object they embed, sync state, the outbox and the
webhook endpoints.

The tables hold every field of both upstream modes so the mirror can rebuild normal and
detailed JSON exactly. Conventions:
- Datetimes are timezone-aware UTC in Python (SQLModel's UTCDateTime); both databases keep
  microseconds.
- Text keeps the difference between ``""`` and ``NULL``; nothing is normalised.
- ``url`` columns hold upstream's URL for a plain request (no ``?format=`` suffix).
- Durations (``time_in_space``, ``time_docked``) are whole seconds as fetched, with the instant
  they were fetched (``durations_fetched_at``), so the mirror can bring them up to date.
- ``row_version`` grows by one on every write of a docking event: tests and benchmarks count
  writes with it instead of with time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def _text(nullable: bool = True) -> Any:
    """A TEXT column (PostgreSQL VARCHAR without a length is fine too; TEXT says it plainly)."""
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


def _json_list() -> Column[Any]:
    """A JSON list column, ``[]`` for the rows that were there before it (migration 0006)."""
    return Column(JSON, nullable=False, server_default=text("'[]'"))


class Agency(SQLModel, table=True):
    """An agency, in its full (detailed) form; the mini form is a subset."""

    __tablename__ = "agency"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    url: str | None = _text()
    name: str | None = _text()
    featured: bool | None = None
    type: str | None = _text()
    country_code: str | None = _text()
    abbrev: str | None = _text()
    description: str | None = _text()
    administrator: str | None = _text()
    founding_year: str | None = _text()
    launchers: str | None = _text()
    spacecraft: str | None = _text()
    parent: str | None = _text()
    image_url: str | None = _text()
    logo_url: str | None = _text()


class SpacecraftConfigType(SQLModel, table=True):
    """Lookup: a spacecraft configuration's type ({id, name})."""

    __tablename__ = "spacecraft_config_type"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str | None = _text()


class SpacecraftStatus(SQLModel, table=True):
    """Lookup: a spacecraft's status ({id, name})."""

    __tablename__ = "spacecraft_status"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str | None = _text()


class SpacecraftConfig(SQLModel, table=True):
    """A spacecraft configuration, in its detailed form (normal is a subset)."""

    __tablename__ = "spacecraft_config"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    url: str | None = _text()
    name: str | None = _text()
    type_id: int | None = Field(default=None, sa_type=BigInteger)
    agency_id: int | None = Field(default=None, sa_type=BigInteger)
    in_use: bool | None = None
    capability: str | None = _text()
    history: str | None = _text()
    details: str | None = _text()
    maiden_flight: dt.date | None = None
    height: float | None = None
    diameter: float | None = None
    human_rated: bool | None = None
    crew_capacity: int | None = Field(default=None, sa_type=BigInteger)
    payload_capacity: int | None = Field(default=None, sa_type=BigInteger)
    payload_return_capacity: int | None = Field(default=None, sa_type=BigInteger)
    flight_life: str | None = _text()
    image_url: str | None = _text()
    nation_url: str | None = _text()
    wiki_link: str | None = _text()
    info_link: str | None = _text()


class Spacecraft(SQLModel, table=True):
    """A spacecraft (the vehicle), with its per-request durations as last fetched."""

    __tablename__ = "spacecraft"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    url: str | None = _text()
    name: str | None = _text()
    serial_number: str | None = _text()
    is_placeholder: bool | None = None
    in_space: bool | None = None
    time_in_space_seconds: int | None = Field(default=None, sa_type=BigInteger)
    time_docked_seconds: int | None = Field(default=None, sa_type=BigInteger)
    durations_fetched_at: dt.datetime | None = None
    flights_count: int | None = Field(default=None, sa_type=BigInteger)
    mission_ends_count: int | None = Field(default=None, sa_type=BigInteger)
    status_id: int | None = Field(default=None, sa_type=BigInteger)
    description: str | None = _text()
    spacecraft_config_id: int | None = Field(default=None, sa_type=BigInteger)


class SpacecraftFlight(SQLModel, table=True):
    """A spacecraft flight: the ``flight_vehicle`` of a docking event."""

    __tablename__ = "spacecraft_flight"
    # The events a spacecraft's change re-renders are found through its flights.
    __table_args__ = (Index("ix_spacecraft_flight_spacecraft_id", "spacecraft_id"),)

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    url: str | None = _text()
    destination: str | None = _text()
    mission_end: dt.datetime | None = None
    spacecraft_id: int | None = Field(default=None, sa_type=BigInteger)


class SpaceStation(SQLModel, table=True):
    """A space station, as embedded in docking events ({id, url, name, image_url})."""

    __tablename__ = "space_station"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    url: str | None = _text()
    name: str | None = _text()
    image_url: str | None = _text()


class DockingLocation(SQLModel, table=True):
    """A docking port; ``spacestation_id`` is NULL in the old form that had no station link."""

    __tablename__ = "docking_location"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str | None = _text()
    spacestation_id: int | None = Field(default=None, sa_type=BigInteger)


class DockingEvent(SQLModel, table=True):
    """One docking: a flight vehicle at a docking location of a space station."""

    __tablename__ = "docking_event"
    __table_args__ = (
        Index("ix_docking_event_docking_id", "docking", "id"),
        Index("ix_docking_event_departure_id", "departure", "id"),
        Index("ix_docking_event_space_station_id", "space_station_id"),
        Index("ix_docking_event_flight_vehicle_id", "flight_vehicle_id"),
        Index("ix_docking_event_docking_location_id", "docking_location_id"),
    )

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    launch_id: str | None = _text()
    docking: dt.datetime
    departure: dt.datetime | None = None
    flight_vehicle_id: int | None = Field(default=None, sa_type=BigInteger)
    docking_location_id: int | None = Field(default=None, sa_type=BigInteger)
    space_station_id: int | None = Field(default=None, sa_type=BigInteger)
    # Bookkeeping, not upstream data.
    row_version: int = Field(default=1, sa_type=BigInteger)
    # Digest of the last payload applied (durations excluded): an equal one changes nothing.
    payload_digest: str | None = Field(default=None, max_length=32)
    first_seen_at: dt.datetime
    last_changed_at: dt.datetime


class EventDocument(SQLModel, table=True):
    """The mirror's read model: a docking event rendered once per change, with what it is
    filtered, searched and ordered by (see ``models.store.read_model``).

    Written in the same transaction as the data it renders, with the data version of that
    commit (``version``); a deleted event keeps a row with ``removed`` set (and nothing else),
    so readers learn of the deletion from the rows written after the version they know.
    Instants are whole microseconds since 1970 (UTC), ready to compare and order.
    """

    __tablename__ = "event_document"
    __table_args__ = (Index("ix_event_document_version", "version"),)

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    version: int = Field(sa_type=BigInteger)
    docking_micros: int | None = Field(default=None, sa_type=BigInteger)
    departure_micros: int | None = Field(default=None, sa_type=BigInteger)
    space_station_id: int | None = Field(default=None, sa_type=BigInteger)
    flight_vehicle_id: int | None = Field(default=None, sa_type=BigInteger)
    docking_location_id: int | None = Field(default=None, sa_type=BigInteger)
    # The spacecraft's name as search compares it (lower-cased).
    spacecraft_search: str | None = _text()
    # What the template's growing durations count from (NULL: that duration does not grow).
    time_in_space_seconds: int | None = Field(default=None, sa_type=BigInteger)
    time_docked_seconds: int | None = Field(default=None, sa_type=BigInteger)
    durations_fetched_micros: int | None = Field(default=None, sa_type=BigInteger)
    removed: bool = False
    # The event's JSON with marks (models.ll2.template); NULL when removed.
    template: str | None = _text()


class SyncState(SQLModel, table=True):
    """Named pieces of sync state (sweep checkpoint, last results) as JSON, one row per name.

    Written in the same transaction as the page it describes, so a crash never leaves the
    checkpoint ahead of (or behind) the data.
    """

    __tablename__ = "sync_state"

    name: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime


class RemovalCandidate(SQLModel, table=True):
    """A local event upstream did not list (or answered 404 for).

    It becomes ``eligible`` only when a complete, clean sweep pass did not contain it; only an
    eligible candidate whose detail request then answers 404 is removed. Seeing the event again
    anywhere drops the candidate.
    """

    __tablename__ = "removal_candidate"

    event_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    noticed_at: dt.datetime
    eligible: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class OutboxEntry(SQLModel, table=True):
    """A notification written in the same transaction as the change it describes.

    ``event_id`` is the CloudEvent id (unique: a re-sync that finds the same change again
    cannot add a second entry). ``published_at`` stays NULL until the relay has published it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_outbox_event_id"),
        Index("ix_outbox_published_at_seq", "published_at", "seq"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200)
    subject: str = Field(max_length=40)
    sequence: int = Field(sa_type=BigInteger)
    type: str = Field(max_length=60)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime
    published_at: dt.datetime | None = None


class WebhookEndpoint(SQLModel, table=True):
    """A registered webhook endpoint and the state of its deliveries, visible to every process.

    Its filter (``models.fleet.subscription.NotificationFilter``): ``event_types`` lists the
    CloudEvent types it wants, ``stations`` and ``vehicles`` the space stations and spacecraft
    (ids or names, as given); an empty list keeps every value of its kind. ``skipped`` counts the
    notifications the filter passed over (acknowledged without a request). ``secret`` is the
    ``whsec_…`` signing key (stored because deliveries are signed with it; never logged). The
    delivery state is written after every attempt: ``last_status`` (the HTTP status, NULL after a
    transport error, whose one-line reason is ``last_error``), ``failures_in_a_row`` (since the
    last success), ``failing_since`` (the first failure of that run), ``next_attempt_at`` (when
    the entry being retried goes again) and ``delivered`` (notifications it accepted). Ids are
    never reused (SQLite ``AUTOINCREMENT``), as each names the endpoint's consumer group.
    """

    __tablename__ = "webhook_endpoint"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(sa_column=Column(Text, nullable=False))
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stations: list[str] = Field(default_factory=list, sa_column=_json_list())
    vehicles: list[str] = Field(default_factory=list, sa_column=_json_list())
    enabled: bool = True
    disabled_reason: str | None = _text()
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None = None
    last_status: int | None = None
    last_error: str | None = _text()
    failures_in_a_row: int = 0
    failing_since: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None
    delivered: int = Field(default=0, sa_type=BigInteger)
    skipped: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": text("0")}
    )


def table_of(model: type[SQLModel]) -> Table:
    """The Core ``Table`` behind a table model (for Core selects and dialect upserts)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
