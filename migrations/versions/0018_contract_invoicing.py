"""contract invoicing: how each contract's price is invoiced, and which invoice billed which
period (one per contract and period)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 13:58:59.185752
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contract_invoicing_terms',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('frequency', sa.Enum('ANNUAL', 'QUARTERLY', 'MONTHLY', name='billingfrequency', native_enum=False, length=16), nullable=False),
    sa.Column('timing', sa.Enum('IN_ADVANCE', 'IN_ARREARS', name='billingtiming', native_enum=False, length=16), nullable=False),
    sa.Column('bill_from', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', name='uq_contract_invoicing_terms')
    )
    op.create_index(op.f('ix_contract_invoicing_terms_contract_id'), 'contract_invoicing_terms', ['contract_id'], unique=False)
    op.create_table('contract_invoices',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('contract_id', sa.BigInteger(), nullable=False),
    sa.Column('invoice_id', sa.BigInteger(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'period_start', name='uq_contract_invoices_period')
    )
    op.create_index(op.f('ix_contract_invoices_contract_id'), 'contract_invoices', ['contract_id'], unique=False)
    op.create_index(op.f('ix_contract_invoices_invoice_id'), 'contract_invoices', ['invoice_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contract_invoices_invoice_id'), table_name='contract_invoices')
    op.drop_index(op.f('ix_contract_invoices_contract_id'), table_name='contract_invoices')
    op.drop_table('contract_invoices')
    op.drop_index(op.f('ix_contract_invoicing_terms_contract_id'), table_name='contract_invoicing_terms')
    op.drop_table('contract_invoicing_terms')
