"""Workforce refinements: technicians' external reference and notes, territory descriptions.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "technicians",
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    )
    op.add_column("technicians", sa.Column("notes", sa.Text(), nullable=True))
    op.create_unique_constraint("technicians_external_ref_key", "technicians", ["external_ref"])
    op.add_column("territories", sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("territories", "description")
    op.drop_constraint("technicians_external_ref_key", "technicians", type_="unique")
    op.drop_column("technicians", "notes")
    op.drop_column("technicians", "external_ref")
