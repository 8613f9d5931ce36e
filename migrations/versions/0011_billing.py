"""billing: price lists, coverage terms, estimates, invoices and credit notes without gaps,
payments, payment links, upsell offers, expense claims

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVOICE_FROZEN_FUNCTION = """
CREATE OR REPLACE FUNCTION invoices_frozen_once_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'DRAFT' AND OLD.status <> 'VOID' THEN
            RAISE EXCEPTION 'invoice % is issued: it cannot be deleted', OLD.number
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'DRAFT' AND OLD.status <> 'VOID' AND (
        NEW.number IS DISTINCT FROM OLD.number
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
        OR NEW.task_id IS DISTINCT FROM OLD.task_id
        OR NEW.credited_invoice_id IS DISTINCT FROM OLD.credited_invoice_id
        OR NEW.currency IS DISTINCT FROM OLD.currency
        OR NEW.subtotal IS DISTINCT FROM OLD.subtotal
        OR NEW.covered_amount IS DISTINCT FROM OLD.covered_amount
        OR NEW.net_amount IS DISTINCT FROM OLD.net_amount
        OR NEW.tax_amount IS DISTINCT FROM OLD.tax_amount
        OR NEW.total IS DISTINCT FROM OLD.total
        OR NEW.issued_at IS DISTINCT FROM OLD.issued_at
        OR NEW.status IN ('DRAFT', 'VOID')
    ) THEN
        RAISE EXCEPTION 'invoice % is issued: its amounts cannot change (issue a credit note)',
            OLD.number USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$
"""

LINES_FROZEN_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_lines_frozen_once_issued() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        target := NEW.invoice_id;
    ELSE
        target := OLD.invoice_id;
    END IF;
    IF target IS NOT NULL AND EXISTS (
        SELECT 1 FROM invoices WHERE id = target AND status <> 'DRAFT' AND status <> 'VOID'
    ) THEN
        RAISE EXCEPTION 'the lines of issued invoice % cannot change', target
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("series", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year"),
    )
    op.create_table(
        "price_lists",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("call_out_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "call_out_tax_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column(
            "default_labour_tax_category",
            sqlmodel.sql.sqltypes.AutoString(length=40),
            nullable=False,
        ),
        sa.Column(
            "default_part_tax_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("call_out_fee >= 0", name="fee_not_negative"),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="period_order"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "labour_rates",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("price_list_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("minimum_charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.CheckConstraint("hourly_rate >= 0 AND minimum_charge >= 0", name="not_negative"),
        sa.ForeignKeyConstraint(["price_list_id"], ["price_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("price_list_id", "category"),
    )
    op.create_index(
        op.f("ix_labour_rates_price_list_id"), "labour_rates", ["price_list_id"], unique=False
    )
    op.create_table(
        "part_prices",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("price_list_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("part_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("tax_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.CheckConstraint("unit_price >= 0", name="not_negative"),
        sa.ForeignKeyConstraint(["price_list_id"], ["price_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("price_list_id", "part_id"),
    )
    op.create_index(op.f("ix_part_prices_part_id"), "part_prices", ["part_id"], unique=False)
    op.create_index(
        op.f("ix_part_prices_price_list_id"), "part_prices", ["price_list_id"], unique=False
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("price_list_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rate_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.CheckConstraint("rate_percent BETWEEN 0 AND 100", name="rate_range"),
        sa.ForeignKeyConstraint(["price_list_id"], ["price_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("price_list_id", "category"),
    )
    op.create_index(
        op.f("ix_tax_rates_price_list_id"), "tax_rates", ["price_list_id"], unique=False
    )
    op.create_table(
        "contract_billing_terms",
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("cap_per_visit", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("cap_per_year", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "excluded_part_categories",
            postgresql.ARRAY(sa.String(length=40)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(cap_per_visit IS NULL OR cap_per_visit >= 0)"
            " AND (cap_per_year IS NULL OR cap_per_year >= 0)",
            name="caps_not_negative",
        ),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contract_id"),
    )
    op.create_table(
        "estimates",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("covered_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "SENT",
                "ACCEPTED",
                "REJECTED",
                "WITHDRAWN",
                name="estimatestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("requires_acceptance", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_estimates_customer_id"), "estimates", ["customer_id"], unique=False)
    op.create_index(op.f("ix_estimates_status"), "estimates", ["status"], unique=False)
    op.create_index(op.f("ix_estimates_task_id"), "estimates", ["task_id"], unique=False)
    op.create_table(
        "expense_claims",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "FUEL",
                "PARKING",
                "TOLL",
                "PUBLIC_TRANSPORT",
                "MEALS",
                "LODGING",
                "CONSUMABLES",
                "OTHER",
                name="expensecategory",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("receipt_ref", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "SUBMITTED",
                "APPROVED",
                "REJECTED",
                "WITHDRAWN",
                name="expensestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("approver_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint("amount > 0", name="positive_amount"),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_expense_claims_status"), "expense_claims", ["status"], unique=False)
    op.create_index(op.f("ix_expense_claims_task_id"), "expense_claims", ["task_id"], unique=False)
    op.create_index(
        op.f("ix_expense_claims_technician_id"), "expense_claims", ["technician_id"], unique=False
    )
    op.create_table(
        "invoices",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("covered_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("INVOICE", "CREDIT_NOTE", name="invoicekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "ISSUED",
                "PARTIALLY_PAID",
                "PAID",
                "CREDITED",
                "VOID",
                name="invoicestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("upsell_id", sa.BigInteger(), nullable=True),
        sa.Column("credited_invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount_credited", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "(kind = 'CREDIT_NOTE') = (credited_invoice_id IS NOT NULL)", name="credit_note_refers"
        ),
        sa.CheckConstraint(
            "(status = 'DRAFT' OR status = 'VOID') = (number IS NULL)", name="numbered_when_issued"
        ),
        sa.CheckConstraint("amount_paid >= 0", name="paid_not_negative"),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"],
            ["invoices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        op.f("ix_invoices_credited_invoice_id"), "invoices", ["credited_invoice_id"], unique=False
    )
    op.create_index(op.f("ix_invoices_customer_id"), "invoices", ["customer_id"], unique=False)
    op.create_index(op.f("ix_invoices_status"), "invoices", ["status"], unique=False)
    op.create_index(op.f("ix_invoices_task_id"), "invoices", ["task_id"], unique=False)
    op.create_index(
        "uq_invoices_task",
        "invoices",
        ["task_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'INVOICE' AND status <> 'VOID' AND upsell_id IS NULL"),
    )
    op.create_table(
        "billing_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("estimate_id", sa.BigInteger(), nullable=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("LABOUR", "PART", "FEE", name="linekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=True),
        sa.Column("part_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("covered_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("chargeable_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "coverage_source",
            sa.Enum(
                "WARRANTY", "CONTRACT", "NONE", name="coveragesource", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("contract_id", sa.BigInteger(), nullable=True),
        sa.Column("contract_number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("cap_applied", sa.Boolean(), nullable=False),
        sa.Column("coverage_note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.CheckConstraint(
            "(estimate_id IS NULL) <> (invoice_id IS NULL)", name="estimate_xor_invoice"
        ),
        sa.CheckConstraint(
            "covered_amount >= 0 AND covered_amount <= abs(amount)", name="covered_within_amount"
        ),
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.ForeignKeyConstraint(["estimate_id"], ["estimates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_billing_lines_estimate_id"), "billing_lines", ["estimate_id"], unique=False
    )
    op.create_index(
        op.f("ix_billing_lines_invoice_id"), "billing_lines", ["invoice_id"], unique=False
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("CASH", "CARD", "ONLINE", name="paymentmethod", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("provider_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("receipt_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.CheckConstraint("amount > 0", name="positive_amount"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_ref"),
        sa.UniqueConstraint("receipt_number"),
    )
    op.create_index(op.f("ix_payments_customer_id"), "payments", ["customer_id"], unique=False)
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"], unique=False)
    op.create_table(
        "upsell_offers",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OFFERED",
                "CONFIRMED",
                "PAID",
                "DECLINED",
                name="upsellstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("offered_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_upsell_offers_customer_id"), "upsell_offers", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_upsell_offers_invoice_id"), "upsell_offers", ["invoice_id"], unique=False
    )
    op.create_index(op.f("ix_upsell_offers_part_id"), "upsell_offers", ["part_id"], unique=False)
    op.create_index(op.f("ix_upsell_offers_task_id"), "upsell_offers", ["task_id"], unique=False)
    op.create_index(
        op.f("ix_upsell_offers_technician_id"), "upsell_offers", ["technician_id"], unique=False
    )
    op.create_table(
        "payment_links",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "PAID", "CANCELLED", name="linkstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce"),
    )
    op.create_index(
        op.f("ix_payment_links_invoice_id"), "payment_links", ["invoice_id"], unique=False
    )
    op.create_index(
        op.f("ix_payment_links_payment_id"), "payment_links", ["payment_id"], unique=False
    )

    op.execute(INVOICE_FROZEN_FUNCTION)
    op.execute(
        "CREATE TRIGGER invoices_frozen_once_issued BEFORE UPDATE OR DELETE ON invoices "
        "FOR EACH ROW EXECUTE FUNCTION invoices_frozen_once_issued()"
    )
    op.execute(LINES_FROZEN_FUNCTION)
    op.execute(
        "CREATE TRIGGER billing_lines_frozen_once_issued "
        "BEFORE INSERT OR UPDATE OR DELETE ON billing_lines "
        "FOR EACH ROW EXECUTE FUNCTION billing_lines_frozen_once_issued()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS billing_lines_frozen_once_issued ON billing_lines")
    op.execute("DROP FUNCTION IF EXISTS billing_lines_frozen_once_issued()")
    op.execute("DROP TRIGGER IF EXISTS invoices_frozen_once_issued ON invoices")
    op.execute("DROP FUNCTION IF EXISTS invoices_frozen_once_issued()")
    op.drop_index(op.f("ix_payment_links_payment_id"), table_name="payment_links")
    op.drop_index(op.f("ix_payment_links_invoice_id"), table_name="payment_links")
    op.drop_table("payment_links")
    op.drop_index(op.f("ix_upsell_offers_technician_id"), table_name="upsell_offers")
    op.drop_index(op.f("ix_upsell_offers_task_id"), table_name="upsell_offers")
    op.drop_index(op.f("ix_upsell_offers_part_id"), table_name="upsell_offers")
    op.drop_index(op.f("ix_upsell_offers_invoice_id"), table_name="upsell_offers")
    op.drop_index(op.f("ix_upsell_offers_customer_id"), table_name="upsell_offers")
    op.drop_table("upsell_offers")
    op.drop_index(op.f("ix_payments_invoice_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_customer_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_billing_lines_invoice_id"), table_name="billing_lines")
    op.drop_index(op.f("ix_billing_lines_estimate_id"), table_name="billing_lines")
    op.drop_table("billing_lines")
    op.drop_index(
        "uq_invoices_task",
        table_name="invoices",
        postgresql_where=sa.text("kind = 'INVOICE' AND status <> 'VOID' AND upsell_id IS NULL"),
    )
    op.drop_index(op.f("ix_invoices_task_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_status"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_customer_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_credited_invoice_id"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_expense_claims_technician_id"), table_name="expense_claims")
    op.drop_index(op.f("ix_expense_claims_task_id"), table_name="expense_claims")
    op.drop_index(op.f("ix_expense_claims_status"), table_name="expense_claims")
    op.drop_table("expense_claims")
    op.drop_index(op.f("ix_estimates_task_id"), table_name="estimates")
    op.drop_index(op.f("ix_estimates_status"), table_name="estimates")
    op.drop_index(op.f("ix_estimates_customer_id"), table_name="estimates")
    op.drop_table("estimates")
    op.drop_table("contract_billing_terms")
    op.drop_index(op.f("ix_tax_rates_price_list_id"), table_name="tax_rates")
    op.drop_table("tax_rates")
    op.drop_index(op.f("ix_part_prices_price_list_id"), table_name="part_prices")
    op.drop_index(op.f("ix_part_prices_part_id"), table_name="part_prices")
    op.drop_table("part_prices")
    op.drop_index(op.f("ix_labour_rates_price_list_id"), table_name="labour_rates")
    op.drop_table("labour_rates")
    op.drop_table("price_lists")
    op.drop_table("document_counters")
