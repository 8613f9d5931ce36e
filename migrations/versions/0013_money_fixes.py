"""money fixes: paid upsells waiting for stock, requisition approval policy as data,
foreign keys for parts and tasks named by inventory and billing rows

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-24 07:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPSELL_STATUS_OLD = sa.Enum(
    "OFFERED", "CONFIRMED", "PAID", "DECLINED", name="upsellstatus", native_enum=False, length=16
)
UPSELL_STATUS_NEW = sa.Enum(
    "OFFERED",
    "CONFIRMED",
    "PAID_PENDING_STOCK",
    "PAID",
    "DECLINED",
    name="upsellstatus",
    native_enum=False,
    length=24,
)


SEEDED_AT = datetime(2026, 11, 24, tzinfo=UTC)
SEEDED_THRESHOLDS = (("INR", "10000.00"), ("USD", "150.00"), ("EUR", "150.00"))
"""The limits that were in code before: up to them a dispatcher approves, above a manager."""


FOREIGN_KEYS = (
    # (table, column, referenced table)
    ("stock_movements", "task_id", "tasks"),
    ("requisitions", "task_id", "tasks"),
    ("part_prices", "part_id", "parts"),
    ("billing_lines", "part_id", "parts"),
    ("upsell_offers", "part_id", "parts"),
)

VALIDATE_IF_CLEAN = """
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM {table} t
        WHERE t.{column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column})
    ) THEN
        RAISE WARNING '{table}.{column} names missing {target}: {name} stays NOT VALID '
            '(new rows are checked; validate after repairing the old ones)';
    ELSE
        ALTER TABLE {table} VALIDATE CONSTRAINT {name};
    END IF;
END $$;
"""

BACKFILL_PART_CATEGORY = """
UPDATE parts p SET category = agreed.category
FROM (
    SELECT part_id, min(part_category) AS category
    FROM part_prices
    GROUP BY part_id
    HAVING bool_and(part_category IS NOT NULL) AND count(DISTINCT part_category) = 1
) agreed
WHERE p.id = agreed.part_id AND p.category IS NULL
"""
"""A part takes the category every price list agrees on; a part the lists disagree on keeps
none, so the price list in force still decides for it (coverage as before)."""


def upgrade() -> None:
    # --- foreign keys written before tasks and parts shared one migration history ---------
    for table, column, target in FOREIGN_KEYS:
        name = f"{table}_{column}_fkey"
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {target} (id) NOT VALID"
        )
        op.execute(VALIDATE_IF_CLEAN.format(table=table, column=column, target=target, name=name))

    # --- a part's own category, what contracts exclude from coverage ----------------------
    op.add_column("parts", sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40)))
    op.create_index(op.f("ix_parts_category"), "parts", ["category"], unique=False)
    op.execute(BACKFILL_PART_CATEGORY)

    # --- requisition approval thresholds as data -----------------------------------------
    thresholds = op.create_table(
        "requisition_approval_thresholds",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("dispatcher_limit", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("manager_limit", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "dispatcher_limit >= 0"
            " AND (manager_limit IS NULL OR manager_limit >= dispatcher_limit)",
            name="ordered_limits",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("currency"),
    )
    op.bulk_insert(
        thresholds,
        [
            {
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
                "version": 1,
                "currency": currency,
                "dispatcher_limit": Decimal(limit),
                "manager_limit": None,
            }
            for currency, limit in SEEDED_THRESHOLDS
        ],
    )

    # --- paid upsells waiting for the van to hold the part -------------------------------
    op.alter_column(
        "upsell_offers",
        "status",
        existing_type=UPSELL_STATUS_OLD,
        type_=UPSELL_STATUS_NEW,
        existing_nullable=False,
    )
    op.add_column("upsell_offers", sa.Column("paid_at", sa.DateTime(timezone=True)))
    op.add_column("upsell_offers", sa.Column("stock_short_at", sa.DateTime(timezone=True)))
    op.add_column("upsell_offers", sa.Column("delivered_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE upsell_offers SET paid_at = updated_at, delivered_at = updated_at "
        "WHERE status = 'PAID'"
    )
    op.create_index(
        "ix_upsell_offers_pending_stock",
        "upsell_offers",
        ["paid_at"],
        postgresql_where=sa.text("status = 'PAID_PENDING_STOCK'"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_parts_category"), table_name="parts")
    op.drop_column("parts", "category")
    for table, column, _ in reversed(FOREIGN_KEYS):
        op.drop_constraint(f"{table}_{column}_fkey", table, type_="foreignkey")
    op.drop_table("requisition_approval_thresholds")
    op.drop_index("ix_upsell_offers_pending_stock", table_name="upsell_offers")
    op.execute("UPDATE upsell_offers SET status = 'CONFIRMED' WHERE status = 'PAID_PENDING_STOCK'")
    op.drop_column("upsell_offers", "delivered_at")
    op.drop_column("upsell_offers", "stock_short_at")
    op.drop_column("upsell_offers", "paid_at")
    op.alter_column(
        "upsell_offers",
        "status",
        existing_type=UPSELL_STATUS_NEW,
        type_=UPSELL_STATUS_OLD,
        existing_nullable=False,
    )
