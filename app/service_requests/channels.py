"""Event kinds and broker channels of service requests."""

from __future__ import annotations

SERVICE_REQUEST_CREATED = "SERVICE_REQUEST_CREATED"

SERVICE_REQUESTS = "service_requests"
"""Every intake event, for the desk and integrations."""


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}:service_requests"
