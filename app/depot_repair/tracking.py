"""The customer's public status lookup: tracking code and phone number, no login.

Both must match (the same answer, None, for an unknown code and a wrong phone, so the lookup
tells nothing about which codes exist), and only the status, its dates and the depot's
contact are shown: no name, address, fault, price or asset. Callers are rate-limited per
address and per code (see `LookupLimits`), so codes cannot be guessed by volume."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.ratelimit import Limiter, _digest
from app.customers.models import Customer
from app.depot_repair.models import Depot, RepairOrder, RepairStatus
from app.depot_repair.transitions import STATUS_LABELS
from app.inventory.models import StockLocation

LOOKUPS_PER_ADDRESS = 10
LOOKUPS_PER_CODE = 5
WINDOW_SECONDS = 300


@dataclass(frozen=True, slots=True)
class TrackingView:
    tracking_code: str
    status: RepairStatus
    status_label: str
    received_at: datetime
    promised_by: datetime
    ready_at: datetime | None
    delivered_at: datetime | None
    depot_name: str
    depot_phone: str | None


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-10:]


def normal_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", code).upper()[:20]


async def lookup(session: AsyncSession, code: str, phone: str) -> TrackingView | None:
    wanted = _digits(phone)
    if len(wanted) < 6:
        return None
    row = (
        await session.execute(
            select(RepairOrder, Customer.phone, Depot.phone, StockLocation.name)
            .join(Customer, col(Customer.id) == col(RepairOrder.customer_id))
            .join(Depot, col(Depot.id) == col(RepairOrder.depot_id))
            .join(StockLocation, col(StockLocation.id) == col(Depot.stock_location_id))
            .where(col(RepairOrder.tracking_code) == normal_code(code))
        )
    ).first()
    if row is None:
        return None
    order, customer_phone, depot_phone, depot_name = row
    if not customer_phone or _digits(customer_phone) != wanted:
        return None
    delivered = order.closed_at if order.status is RepairStatus.DELIVERED else None
    return TrackingView(
        tracking_code=order.tracking_code,
        status=order.status,
        status_label=STATUS_LABELS[order.status],
        received_at=order.received_at,
        promised_by=order.due_at,
        ready_at=order.ready_at,
        delivered_at=delivered,
        depot_name=depot_name,
        depot_phone=depot_phone,
    )


class LookupLimits:
    """Lookups per client address and per tracking code in a window; past either limit the
    lookup is refused (RATE_LIMITED) whatever it would have answered."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    async def retry_after(self, address: str, code: str) -> int:
        by_address = await self.limiter.hit(
            f"repair-lookup:address:{address}", LOOKUPS_PER_ADDRESS, WINDOW_SECONDS
        )
        by_code = await self.limiter.hit(
            f"repair-lookup:code:{_digest(normal_code(code).encode())}",
            LOOKUPS_PER_CODE,
            WINDOW_SECONDS,
        )
        return max(by_address.retry_after, by_code.retry_after)
