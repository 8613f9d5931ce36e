"""seeded customer messages name only values their events carry

The invoice and estimate messages asked for a `url` no event supplies (the customer was
sent "${url}"), and the invoice and payment-link subjects for the task of invoices that
may have none. Only templates still as seeded are changed; an operator's edits stay.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (event, language, (seeded subject, seeded body), (new subject, new body))
CHANGES = [
    (
        "ESTIMATE_TO_APPROVE",
        "en",
        (
            "An estimate to approve for ${task_ref}",
            "An estimate for ${task_ref} awaits your approval: ${url}",
        ),
        (
            "An estimate to approve for ${task_ref}",
            "An estimate of ${total} ${currency} for ${task_ref} awaits your approval in the app.",
        ),
    ),
    (
        "INVOICE_READY",
        "en",
        ("Your invoice for ${task_ref}", "Your invoice ${invoice_number} is ready: ${url}"),
        (
            "Your invoice ${invoice_number}",
            "Your invoice ${invoice_number} of ${total} ${currency} is ready in the app.",
        ),
    ),
    (
        "PAYMENT_LINK",
        "en",
        ("Payment link for ${task_ref}", "Pay securely here: ${url}"),
        (
            "Payment link for ${invoice_number}",
            "Pay ${amount} ${currency} for invoice ${invoice_number} securely here: ${url}",
        ),
    ),
]

TEMPLATES = sa.table(
    "notification_templates",
    sa.column("event"),
    sa.column("channel"),
    sa.column("language"),
    sa.column("subject"),
    sa.column("body"),
    sa.column("version"),
    sa.column("updated_at"),
)


def _replace(event: str, language: str, old: tuple[str, str], new: tuple[str, str]) -> None:
    op.execute(
        TEMPLATES.update()
        .where(
            TEMPLATES.c.event == event,
            TEMPLATES.c.language == language,
            TEMPLATES.c.channel.is_(None),
            TEMPLATES.c.subject == old[0],
            TEMPLATES.c.body == old[1],
        )
        .values(
            subject=new[0],
            body=new[1],
            version=TEMPLATES.c.version + 1,
            updated_at=sa.func.now(),
        )
    )


def upgrade() -> None:
    for event, language, seeded, fixed in CHANGES:
        _replace(event, language, seeded, fixed)


def downgrade() -> None:
    for event, language, seeded, fixed in CHANGES:
        _replace(event, language, fixed, seeded)
