"""The price of a contract period: the previous price plus the kind's uplift, or, for a
contract priced nowhere yet, the price list in force (visits x covered items x a visit's
labour, loaded when parts are covered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.pricing import price_book
from app.core.errors import DomainError, ErrorCode
from app.renewals.models import RenewalPolicy

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
VISIT_CATEGORIES = ("MAINTENANCE", "PREVENTIVE", "INSPECTION", "REPAIR")
"""Labour categories a planned visit is priced at, first found wins."""


@dataclass(frozen=True, slots=True)
class Quote:
    price: Decimal
    currency: str
    basis: str


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def uplifted(previous: Decimal, currency: str, policy: RenewalPolicy) -> Quote:
    price = _cents(previous * (HUNDRED + policy.uplift_percent) / HUNDRED)
    return Quote(price, currency, f"previous price {previous} + {policy.uplift_percent}%")


async def list_price(
    session: AsyncSession,
    policy: RenewalPolicy,
    *,
    on: date,
    visits_per_year: int | None,
    items: int,
    covers_parts: bool,
) -> Quote:
    """The price list's figure for a year of this contract (INVALID without a price list)."""
    book = await price_book(session, on)
    rate = next((book.labour[c] for c in VISIT_CATEGORIES if c in book.labour), None)
    if rate is None:
        raise DomainError(
            "the price list has no maintenance labour rate to price a contract",
            ErrorCode.INVALID,
            ["price"],
        )
    per_visit = max(rate.minimum_charge, _cents(rate.hourly_rate * policy.hours_per_visit))
    visits = visits_per_year if visits_per_year else max(policy.visits_per_year, 1)
    price = per_visit * visits * max(items, 1)
    basis = f"{book.price_list.name}: {visits} visits x {max(items, 1)} items x {per_visit}"
    if covers_parts and policy.parts_loading_percent:
        price = price * (HUNDRED + policy.parts_loading_percent) / HUNDRED
        basis += f" + {policy.parts_loading_percent}% parts"
    return Quote(_cents(price), book.currency, basis[:300])
