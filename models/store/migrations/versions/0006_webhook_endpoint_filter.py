"""webhook endpoints filter by space station and vehicle, and count what they skipped

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:30:00

Endpoints registered before keep getting every station's and vehicle's notifications (``[]``)
and have skipped none. Columns are added in place (no table copy on SQLite, which keeps the
table's AUTOINCREMENT: endpoint ids are never reused).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("stations", "vehicles"):
        op.add_column(
            "webhook_endpoint",
            sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        )
    op.add_column(
        "webhook_endpoint",
        sa.Column("skipped", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint", recreate="never") as batch_op:
        for name in ("skipped", "vehicles", "stations"):
            batch_op.drop_column(name)
