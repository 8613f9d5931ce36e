"""Broker channels and event kinds of repair orders."""

from __future__ import annotations

REPAIR_ORDER_CHANGED = "REPAIR_ORDER_CHANGED"
ALL = "repair"


def order_channel(order_id: int) -> str:
    return f"repair.order.{order_id}"


def depot_channel(depot_id: int) -> str:
    return f"repair.depot.{depot_id}"


def technician_channel(technician_id: int) -> str:
    return f"repair.technician.{technician_id}"


def customer_channel(customer_id: int) -> str:
    return f"repair.customer.{customer_id}"
