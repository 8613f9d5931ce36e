"""Event kinds and broker channels of the billing domain."""

from __future__ import annotations

ESTIMATE_SENT = "ESTIMATE_SENT"
ESTIMATE_DECIDED = "ESTIMATE_DECIDED"
INVOICE_ISSUED = "INVOICE_ISSUED"
CREDIT_NOTE_ISSUED = "CREDIT_NOTE_ISSUED"
PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
PAYMENT_LINK_CREATED = "PAYMENT_LINK_CREATED"
"""A payment link for the customer (the notification that sends it to them)."""
OVERPAYMENT_HELD = "OVERPAYMENT_HELD"
"""Money taken that no invoice was due for, held as the customer's credit: refund it (on
app.core.channels.ALERTS too)."""
UPSELL_OFFERED = "UPSELL_OFFERED"
UPSELL_STOCK_SHORT = "UPSELL_STOCK_SHORT"
"""A paid accessory's van is short of the part (on app.core.channels.ALERTS too)."""


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}:billing"


BILLING = "billing"
"""Every billing event, for the desk and integrations."""
