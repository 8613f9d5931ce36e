"""Event kinds and broker channels of the billing domain."""

from __future__ import annotations

ESTIMATE_SENT = "ESTIMATE_SENT"
ESTIMATE_DECIDED = "ESTIMATE_DECIDED"
INVOICE_ISSUED = "INVOICE_ISSUED"
CREDIT_NOTE_ISSUED = "CREDIT_NOTE_ISSUED"
PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
UPSELL_OFFERED = "UPSELL_OFFERED"
UPSELL_STOCK_SHORT = "UPSELL_STOCK_SHORT"
"""A paid accessory's van is short of the part (on app.core.channels.ALERTS too)."""


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}:billing"


BILLING = "billing"
"""Every billing event, for the desk and integrations."""
