"""customer masters: contact and address details, contract terms, search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:28:22.904723
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE SEQUENCE IF NOT EXISTS contract_number_seq")
    op.add_column("assets", sa.Column("ewarranty_registered_on", sa.Date(), nullable=True))
    op.add_column("assets", sa.Column("notes", sa.Text(), nullable=True))
    op.create_index(
        "ix_assets_serial_number_lower",
        "assets",
        [sa.literal_column("lower(serial_number)")],
        unique=False,
    )
    op.add_column("contracts", sa.Column("visits_per_year", sa.Integer(), nullable=True))
    op.add_column("contracts", sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column(
        "contracts",
        sa.Column(
            "currency",
            sqlmodel.sql.sqltypes.AutoString(length=3),
            server_default="INR",
            nullable=False,
        ),
    )
    op.add_column("contracts", sa.Column("notes", sa.Text(), nullable=True))
    op.add_column(
        "customers",
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column("customers", sa.Column("notes", sa.Text(), nullable=True))
    op.create_index(
        "ix_customers_search_trgm",
        "customers",
        ["name", "email", "phone", "external_ref"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={
            "name": "gin_trgm_ops",
            "email": "gin_trgm_ops",
            "phone": "gin_trgm_ops",
            "external_ref": "gin_trgm_ops",
        },
    )
    op.add_column("product_models", sa.Column("description", sa.Text(), nullable=True))
    op.add_column("product_models", sa.Column("service_minutes", sa.Integer(), nullable=True))
    op.add_column(
        "sites",
        sa.Column("address_line2", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    )
    op.add_column(
        "sites", sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
    )
    op.add_column(
        "sites",
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column(
        "sites",
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("sites", "contact_phone")
    op.drop_column("sites", "contact_name")
    op.drop_column("sites", "region")
    op.drop_column("sites", "address_line2")
    op.drop_column("product_models", "service_minutes")
    op.drop_column("product_models", "description")
    op.drop_index("ix_customers_search_trgm", table_name="customers", postgresql_using="gin")
    op.drop_column("customers", "notes")
    op.drop_column("customers", "contact_name")
    op.drop_column("contracts", "notes")
    op.drop_column("contracts", "currency")
    op.drop_column("contracts", "price")
    op.drop_column("contracts", "visits_per_year")
    op.drop_index("ix_assets_serial_number_lower", table_name="assets")
    op.drop_column("assets", "notes")
    op.drop_column("assets", "ewarranty_registered_on")
    op.execute("DROP SEQUENCE IF EXISTS contract_number_seq")
