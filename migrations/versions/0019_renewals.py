"""renewal and new-contract offers, renewal policies, offer reminders; contracts.renewed_from_id

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString

POLICIES = (
    # kind, lead days, reminders, uplift %, visits, parts loading %
    ("AMC", 90, [60, 30, 7], "5.00", 4, "0.00"),
    ("CMC", 90, [60, 30, 7], "7.00", 4, "40.00"),
    ("EXTENDED_WARRANTY", 60, [30, 7], "5.00", 1, "25.00"),
)
OFFER_TEXT = (
    "Your ${contract_kind} contract offer ${offer_ref}",
    "Hello ${customer_name}, here is your ${contract_kind} contract offer ${offer_ref}: "
    "${starts_on} to ${ends_on} for ${currency} ${price}. Accept or decline: ${offer_link}",
)
REMINDER_TEXT = (
    "Your contract ends on ${expires_on}",
    "Hello ${customer_name}, your contract ${contract_number} ends on ${expires_on} "
    "(${days_left} days). Renew for ${currency} ${price}: ${offer_link}",
)
ANSWERED_TEXT = (
    "Your answer to offer ${offer_ref}",
    "Hello ${customer_name}, we have recorded your answer to offer ${offer_ref}: ${outcome}.",
)


def upgrade() -> None:
    op.add_column("contracts", sa.Column("renewed_from_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "contracts_renewed_from_id_fkey", "contracts", "contracts", ["renewed_from_id"], ["id"]
    )
    op.create_index(
        op.f("ix_contracts_renewed_from_id"), "contracts", ["renewed_from_id"], unique=False
    )
    policies = op.create_table(
        "renewal_policies",
        sa.Column(
            "contract_kind",
            sa.Enum(
                "AMC", "CMC", "EXTENDED_WARRANTY", name="contractkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("uplift_percent", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("visits_per_year", sa.Integer(), nullable=False),
        sa.Column("hours_per_visit", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("parts_loading_percent", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("offer_valid_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lead_days BETWEEN 1 AND 730", name="lead_days_range"),
        sa.CheckConstraint("uplift_percent BETWEEN -100 AND 1000", name="uplift_range"),
        sa.PrimaryKeyConstraint("contract_kind"),
    )
    op.create_table(
        "contract_offers",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("RENEWAL", "NEW_CONTRACT", name="offerkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "INQUIRY",
                "OFFERED",
                "ACCEPTED",
                "WON",
                "DECLINED",
                "EXPIRED",
                "SUPERSEDED",
                name="offerstage",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=True),
        sa.Column("supersedes_id", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "contract_kind",
            sa.Enum(
                "AMC", "CMC", "EXTENDED_WARRANTY", name="contractkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", S(length=3), nullable=False),
        sa.Column("price_basis", S(length=300), nullable=False),
        sa.Column("covers_labour", sa.Boolean(), nullable=False),
        sa.Column("covers_parts", sa.Boolean(), nullable=False),
        sa.Column("visits_per_year", sa.Integer(), nullable=True),
        sa.Column("sla_response_hours", sa.Integer(), nullable=True),
        sa.Column("sla_resolution_hours", sa.Integer(), nullable=True),
        sa.Column("covered_asset_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("covered_site_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("nonce", S(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_via", S(length=40), nullable=True),
        sa.Column("lost_reason", S(length=500), nullable=True),
        sa.Column("new_contract_id", sa.BigInteger(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", S(length=200), nullable=False),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["new_contract_id"], ["contracts.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["contract_offers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("contract_id", "customer_id", "new_contract_id", "supersedes_id"):
        op.create_index(
            op.f(f"ix_contract_offers_{column}"), "contract_offers", [column], unique=False
        )
    op.create_index("ix_contract_offers_stage", "contract_offers", ["stage", "kind"], unique=False)
    op.create_index(
        "uq_contract_offers_open_renewal",
        "contract_offers",
        ["contract_id"],
        unique=True,
        postgresql_where=sa.text(
            "kind = 'RENEWAL' AND stage IN ('INQUIRY', 'OFFERED', 'ACCEPTED')"
        ),
    )
    op.create_table(
        "contract_offer_reminders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["contract_offers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", "days_before"),
    )
    op.create_index(
        op.f("ix_contract_offer_reminders_offer_id"),
        "contract_offer_reminders",
        ["offer_id"],
        unique=False,
    )
    op.execute(
        policies.insert().values(
            [
                {
                    "contract_kind": kind,
                    "lead_days": lead,
                    "reminder_days": reminders,
                    "uplift_percent": Decimal(uplift),
                    "term_months": 12,
                    "visits_per_year": visits,
                    "hours_per_visit": Decimal("1.50"),
                    "parts_loading_percent": Decimal(loading),
                    "offer_valid_days": 30,
                    "version": 1,
                    "updated_at": sa.func.now(),
                }
                for kind, lead, reminders, uplift, visits, loading in POLICIES
            ]
        )
    )
    templates = sa.table(
        "notification_templates",
        sa.column("event"),
        sa.column("channel"),
        sa.column("language"),
        sa.column("subject"),
        sa.column("body"),
        sa.column("version"),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    op.execute(
        templates.insert().values(
            [
                {
                    "event": event,
                    "channel": None,
                    "language": "en",
                    "subject": subject,
                    "body": body,
                    "version": 1,
                    "created_at": sa.func.now(),
                    "updated_at": sa.func.now(),
                }
                for event, (subject, body) in (
                    ("CONTRACT_OFFER", OFFER_TEXT),
                    ("CONTRACT_OFFER_REMINDER", REMINDER_TEXT),
                    ("CONTRACT_OFFER_ANSWERED", ANSWERED_TEXT),
                )
            ]
        )
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification_templates "
        "WHERE event IN ('CONTRACT_OFFER', 'CONTRACT_OFFER_REMINDER', 'CONTRACT_OFFER_ANSWERED')"
    )
    op.drop_table("contract_offer_reminders")
    op.drop_table("contract_offers")
    op.drop_table("renewal_policies")
    op.drop_index(op.f("ix_contracts_renewed_from_id"), table_name="contracts")
    op.drop_constraint("contracts_renewed_from_id_fkey", "contracts", type_="foreignkey")
    op.drop_column("contracts", "renewed_from_id")
