"""the mirror's read model: one rendered document per docking event; flights by spacecraft

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:00:00

The stored events get their documents here, rendered with the code that renders them from now
on, at the current data version.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    document = op.create_table(
        "event_document",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("docking_micros", sa.BigInteger(), nullable=True),
        sa.Column("departure_micros", sa.BigInteger(), nullable=True),
        sa.Column("space_station_id", sa.BigInteger(), nullable=True),
        sa.Column("flight_vehicle_id", sa.BigInteger(), nullable=True),
        sa.Column("docking_location_id", sa.BigInteger(), nullable=True),
        sa.Column("spacecraft_search", sa.Text(), nullable=True),
        sa.Column("time_in_space_seconds", sa.BigInteger(), nullable=True),
        sa.Column("time_docked_seconds", sa.BigInteger(), nullable=True),
        sa.Column("durations_fetched_micros", sa.BigInteger(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("template", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_document", schema=None) as batch_op:
        batch_op.create_index("ix_event_document_version", ["version"], unique=False)
    with op.batch_alter_table("spacecraft_flight", schema=None) as batch_op:
        batch_op.create_index("ix_spacecraft_flight_spacecraft_id", ["spacecraft_id"], unique=False)
    _render_stored_events(document)


def _render_stored_events(document: sa.Table | None) -> None:
    from models.store.data_version import read_data_version
    from models.store.read_model import RENDER_BATCH, document_rows

    assert document is not None
    connection = op.get_bind()
    ids = list(connection.execute(sa.text("SELECT id FROM docking_event ORDER BY id")).scalars())
    if not ids:
        return
    with Session(bind=connection) as session:
        version = read_data_version(session).number
        for start in range(0, len(ids), RENDER_BATCH):
            rows = document_rows(session, ids[start : start + RENDER_BATCH], version)
            connection.execute(document.insert(), rows)


def downgrade() -> None:
    with op.batch_alter_table("spacecraft_flight", schema=None) as batch_op:
        batch_op.drop_index("ix_spacecraft_flight_spacecraft_id")
    with op.batch_alter_table("event_document", schema=None) as batch_op:
        batch_op.drop_index("ix_event_document_version")
    op.drop_table("event_document")
