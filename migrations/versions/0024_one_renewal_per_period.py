"""a contract period is renewed once, an offer version is superseded once

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_contracts_renewed_from_id", "contracts", ["renewed_from_id"], unique=True
    )
    op.create_index(
        "uq_contract_offers_supersedes_id", "contract_offers", ["supersedes_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_contract_offers_supersedes_id", table_name="contract_offers")
    op.drop_index("uq_contracts_renewed_from_id", table_name="contracts")
