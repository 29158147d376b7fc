"""docking events remember the digest of their last payload

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("docking_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payload_digest", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("docking_event", schema=None) as batch_op:
        batch_op.drop_column("payload_digest")
